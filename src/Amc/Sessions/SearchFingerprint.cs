using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Amc.Latency;
using Amc.Pruning;
using Amc.Search;

namespace Amc.Sessions;

/// <summary>
/// What a resumed search must share with the saved one. A latency budget's wall depends on the
/// table's measured values, so they are part of it: a table measured again (its cache deleted,
/// another machine) would change the wall halfway through.
/// </summary>
internal static class SearchFingerprint
{
    public static string Of(string ckPath, SearchOptions o, PruneOptions po, OpenedData data, ScoringEngine scoring, LatencyTableFile? tableFile, bool int8 = false,
        LatencyTableFile? int8TableFile = null)
    {
        using var sha = SHA256.Create();
        using (var f = File.OpenRead(ckPath)) sha.TransformBlock(SHA256.HashData(f), 0, 32, null, 0);
        foreach (var file in new[] { tableFile, int8TableFile })
        {
            if (file is null) continue;
            var measured = JsonSerializer.SerializeToUtf8Bytes(new { file.Entries, file.WholeNetworkMs, file.SmallestNetworkMs });
            sha.TransformBlock(SHA256.HashData(measured), 0, 32, null, 0);
        }
        // The names the CLI's --eval-engine gave before sessions existed: they are in saved fingerprints.
        string engine = (scoring == ScoringEngine.OnnxRuntime ? "ort" : "torch") + (int8 ? "-int8" : "");
        // Kept as it was before latency tables joined, so MAC and params searches saved then still resume.
        var text = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { o, po, data = data.Train.Name, data.Split.Hash, engine }));
        sha.TransformFinalBlock(text, 0, text.Length);
        return Convert.ToHexString(sha.Hash!)[..16];
    }
}
