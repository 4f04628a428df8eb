using System.Text.Json;
using System.Text.Json.Serialization;
using Amc.Files;

namespace Amc.Latency;

/// <summary>
/// The cache file of a latency table (JSON, written atomically). Besides the entries it keeps the
/// two end-to-end measurements the entries' sum is mapped through (the whole network at full and
/// at its smallest reachable widths) and the layers' full-width ops timed again just before them
/// (FullWidthSumMs): far from the entries' sum means the machine drifted. An int8 table also keeps
/// its mixed-precision probes (<see cref="MixedPrecisionProbes"/>); a file written before it had
/// them gets them measured and added.
/// </summary>
public sealed record LatencyTableFile(
    int Version, LatencyTableKey Key, IReadOnlyList<LatencyTableEntry> Entries,
    double WholeNetworkMs, double SmallestNetworkMs, double FullWidthSumMs, double BuildSeconds, DateTime Created,
    MixedPrecisionProbes? Probes = null)
{
    public const int CurrentVersion = 3; // 3: end-to-end networks timed in blocks

    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter() },
    };

    public void Save(string path) => AtomicFile.WriteAllText(path, JsonSerializer.Serialize(this, Json));

    static readonly JsonSerializerOptions ReadJson = StrictJson.ForReading(Json);

    /// <summary>
    /// The file's table if it exists, parses, is sound and was measured under <paramref name="key"/>;
    /// otherwise null. A damaged cache is measured again, not an error: it is only a cache.
    /// </summary>
    public static LatencyTableFile? TryLoad(string path, LatencyTableKey key)
    {
        if (!File.Exists(path)) return null;
        try
        {
            var file = JsonSerializer.Deserialize<LatencyTableFile>(File.ReadAllText(path), ReadJson);
            return file is { Version: CurrentVersion } && file.IsSound() && file.Key.SameAs(key) ? file : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// What the table's arithmetic relies on: entries that are not null, one per op (they become a
    /// dictionary), and times that are positive and finite (they are summed, divided and interpolated).
    /// </summary>
    bool IsSound() =>
        Entries.All(e => e is { Op: not null } && double.IsFinite(e.Ms) && e.Ms > 0)
        && Entries.Select(e => e.Op).Distinct().Count() == Entries.Count
        && new[] { WholeNetworkMs, SmallestNetworkMs, FullWidthSumMs }.All(ms => double.IsFinite(ms) && ms > 0)
        && (Probes is null || Probes.FloatGroups is not null && Probes.FloatGroups.Prepend(new FloatGroupProbe(0, Probes.AllInt8Ms))
            .All(p => p is not null && double.IsFinite(p.Ms) && p.Ms > 0))
        && Key.Layers.All(l => l is not null);
}
