using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Amc.Graph;
using Amc.Onnx;

namespace Amc.Latency;

/// <summary>
/// Everything a cached table's numbers depend on: the machine (CPU model, core count), the runtime
/// (ONNX Runtime version, threads), the measuring protocol, the network (its layers' signatures:
/// op and reachable widths; and the whole architecture, which the overhead term depends on).
/// The cache file is named by its hash and stores it in full, so a hash collision cannot pass.
/// </summary>
public sealed record LatencyTableKey(
    string Cpu, int Cores, string Runtime, int Threads, int Warmup, int Repeats, int MaxValuesPerAxis,
    string Architecture, IReadOnlyList<string> Layers,
    // Left out of float tables' keys, so the tables cached before int8 existed keep their hash.
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)] bool Int8 = false)
{
    /// <summary>The key of <paramref name="net"/>'s table on this machine, its layers analysed and measured under <paramref name="options"/>.</summary>
    public static LatencyTableKey For(Network net, IReadOnlyList<LatencyTableLayer> layers, LatencyTableOptions options) => new(
        CpuModel(), Environment.ProcessorCount, RuntimeVersion(), options.Threads,
        options.Warmup, options.Repeats, options.MaxValuesPerAxis,
        NetworkJson.Write(net with { Name = "" }),
        layers.Select(l => $"{l.Name}: {l.Full} in [{string.Join(",", l.InGrid)}] out [{string.Join(",", l.OutGrid)}]").ToList(),
        options.Int8);

    public string Hash()
    {
        var bytes = SHA256.HashData(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(this, LatencyTableFile.Json)));
        return Convert.ToHexString(bytes)[..16].ToLowerInvariant();
    }

    public bool SameAs(LatencyTableKey other) =>
        JsonSerializer.Serialize(this, LatencyTableFile.Json) == JsonSerializer.Serialize(other, LatencyTableFile.Json);

    public static string CpuModel()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
                if (line.StartsWith("model name", StringComparison.Ordinal) && line.IndexOf(':') is int i and > 0)
                    return line[(i + 1)..].Trim();
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString();
    }

    public static string RuntimeVersion() => "onnxruntime " + OnnxRuntimeEnvironment.Instance.GetVersionString();
}
