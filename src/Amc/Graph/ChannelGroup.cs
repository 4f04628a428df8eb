namespace Amc.Graph;

/// <summary>
/// A set of channels that must keep the same indices wherever they appear: the output axis of
/// the producing conv(s), the BNs and depthwise convs they flow through, the input axis of every
/// consumer, and every branch that meets them at a residual Add. The pruning unit.
/// </summary>
/// <param name="Name">The first producer's name: a stable handle for policies and logs.</param>
/// <param name="Producers">Convs / linears whose output axis carries these channels.</param>
/// <param name="PassThrough">BNs, depthwise and width-preserving grouped convs sliced along these channels (axis 0).</param>
/// <param name="Consumers">Convs / linears whose input axis reads these channels.</param>
/// <param name="Reason">Why the group may not be pruned (network input, logits, grouped conv...), or null.</param>
/// <param name="Block">Channels are kept in whole aligned blocks of this many: a grouped conv the
/// group passes through (ResNeXt, RegNet) reads each block as one of its groups, so dropping whole
/// blocks leaves it a smaller grouped conv. 1 for every other group.</param>
public sealed record ChannelGroup(
    int Id,
    string Name,
    int Channels,
    IReadOnlyList<string> Producers,
    IReadOnlyList<string> PassThrough,
    IReadOnlyList<string> Consumers,
    string? Reason,
    int Block = 1)
{
    public bool Prunable => Reason is null;
}

/// <summary>
/// One run of channels along a tensor's channel axis that belongs to one group. Repeat > 1 after
/// Flatten: each channel became Repeat consecutive features (C-major order, as PyTorch flattens).
/// </summary>
public sealed record ChannelSegment(int Group, int Channels, int Repeat = 1);
