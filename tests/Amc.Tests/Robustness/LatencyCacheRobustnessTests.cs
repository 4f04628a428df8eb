using System.Text.Json.Nodes;
using Amc.Graph;
using Amc.Tests.Data;
using Amc.Latency;

namespace Amc.Tests.Robustness;

/// <summary>
/// A damaged latency table cache (nulls, duplicate entries, impossible times, wrong types) is not
/// loaded (TryLoad gives null, so the table is measured again), never handed to the table's
/// arithmetic, where it would throw or predict nonsense.
/// </summary>
public sealed class LatencyCacheRobustnessTests : IDisposable
{
    readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    static readonly LatencyTableKey Key = new("cpu", 2, "onnxruntime 1", 1, 1, 3, 8, "{}", ["conv: op"]);

    static LatencyOp Op(int outC) => new(LayerKind.Conv2d, 4, outC, 3, 1, 1, 1, 1, 8, 8, FusedActivation.Relu);

    /// <summary>A sound cache file of two entries, with one JSON edit applied.</summary>
    string Cache(Action<JsonObject>? edit = null)
    {
        var file = new LatencyTableFile(LatencyTableFile.CurrentVersion, Key,
            [new LatencyTableEntry(Op(4), 0.01), new LatencyTableEntry(Op(8), 0.02)], 0.5, 0.3, 0.03, 1.5, new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        var path = temp.File("cache.json");
        file.Save(path);
        if (edit is not null)
        {
            var root = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            edit(root);
            File.WriteAllText(path, root.ToJsonString());
        }
        return path;
    }

    [Fact]
    public void Sound_cache_loads() => Assert.NotNull(LatencyTableFile.TryLoad(Cache(), Key));

    [Theory]
    [InlineData("key-null")]
    [InlineData("key-layers-null")]
    [InlineData("key-layer-null")]
    [InlineData("entries-null")]
    [InlineData("entry-null")]
    [InlineData("op-null")]
    [InlineData("op-text")]
    [InlineData("duplicate-entry")]
    [InlineData("ms-negative")]
    [InlineData("ms-zero")]
    [InlineData("ms-text")]
    [InlineData("whole-zero")]
    [InlineData("smallest-negative")]
    [InlineData("version")]
    [InlineData("root-array")]
    [InlineData("duplicate-key")]
    public void Damaged_cache_is_measured_again(string damage)
    {
        var path = Cache(root =>
        {
            var entries = root["entries"]!.AsArray();
            switch (damage)
            {
                case "key-null": root["key"] = null; break;
                case "key-layers-null": root["key"]!["layers"] = null; break;
                case "key-layer-null": root["key"]!["layers"]!.AsArray()[0] = null; break;
                case "entries-null": root["entries"] = null; break;
                case "entry-null": entries[0] = null; break;
                case "op-null": entries[0]!["op"] = null; break;
                case "op-text": entries[0]!["op"] = "conv"; break;
                case "duplicate-entry": entries[1]!["op"] = entries[0]!["op"]!.DeepClone(); break;
                case "ms-negative": entries[0]!["ms"] = -1; break;
                case "ms-zero": entries[0]!["ms"] = 0; break;
                case "ms-text": entries[0]!["ms"] = "fast"; break;
                case "whole-zero": root["wholeNetworkMs"] = 0; break;
                case "smallest-negative": root["smallestNetworkMs"] = -0.3; break;
                case "version": root["version"] = LatencyTableFile.CurrentVersion - 1; break;
            }
        });
        if (damage == "root-array") File.WriteAllText(path, "[]");
        if (damage == "duplicate-key")
        {
            var version = $"\"version\":{LatencyTableFile.CurrentVersion}";
            Assert.Contains(version, File.ReadAllText(path));
            File.WriteAllText(path, File.ReadAllText(path).Replace(version, version + "," + version));
        }
        Assert.Null(LatencyTableFile.TryLoad(path, Key));
    }
}
