namespace Amc.Latency;

/// <summary>
/// End-to-end times of the network at full width with every eligible layer in int8, and with each
/// of a few groups alone in float (the rest int8), measured interleaved when the int8 table is
/// built. The difference each float group makes, beyond what the two tables say its layers cost,
/// is what converting its tensors between float and uint8 costs in place, layout changes included
/// (<see cref="MixedPrecisionLatency"/> fits <see cref="ConversionCost"/> to it).
/// </summary>
public sealed record MixedPrecisionProbes(double AllInt8Ms, IReadOnlyList<FloatGroupProbe> FloatGroups);

/// <summary>The network with group <paramref name="Group"/> alone in float, timed beside the all-int8 one.</summary>
public sealed record FloatGroupProbe(int Group, double Ms);
