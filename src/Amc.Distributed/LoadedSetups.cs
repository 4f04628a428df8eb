using System.Security.Cryptography;
using System.Text;
using Amc.Data;
using Amc.Graph;

namespace Amc.Distributed;

/// <summary>
/// A worker silo's loaded setup: checkpoint, data and Gram matrices are loaded once per search
/// and kept until work for another search arrives. A search is its fingerprint with its paths and
/// scoring options: the fingerprint alone leaves out options that do not change a resumed search
/// (e.g. the calibration image count) but do change the scores. Also where work is checked before
/// it is done: the secret, then every path against what this worker serves.
/// </summary>
public sealed class LoadedSetups(WorkerSettings settings) : IDisposable
{
    readonly Lock gate = new();
    (string Key, ScoringContext Context)? current;

    public WorkResult Score(WorkItem item)
    {
        if (Refusal(item) is string reason) return WorkResult.Refused(reason);
        ScoringContext context;
        lock (gate)
        {
            string key = string.Join('\n', [item.Setup.Fingerprint, item.Setup.Checkpoint, item.Setup.Data, .. item.Setup.Arguments]);
            if (current?.Key != key)
            {
                current?.Context.Dispose();
                current = null;
                settings.Log?.Invoke($"loading search {item.Setup.Fingerprint}: {item.Setup.Checkpoint}, data {item.Setup.Data}");
                try { current = (key, settings.Load(item.Setup)); }
                catch (Exception e) { return WorkResult.Refused($"worker cannot load the search's setup: {e.Message}"); }
            }
            context = current.Value.Context;
        }
        settings.Log?.Invoke("scoring a policy");
        var score = context.Scorer.Score(Policy.OfWidths(item.Widths));
        settings.Log?.Invoke(score.HeldOut.Agreement is double agreement
            ? $"scored: agreement {agreement:F4}, relative error {score.HeldOut.RelativeError:F4} in {score.Times.Total:F2} s"
            : $"scored: top-1 {score.HeldOut.Top1:F4} in {score.Times.Total:F2} s");
        return WorkResult.Of(score);
    }

    string? Refusal(WorkItem item)
    {
        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(item.Secret), Encoding.UTF8.GetBytes(settings.Secret)))
            return "the worker refused the work: wrong cluster secret";
        if (!IsServed(item.Setup.Checkpoint))
            return $"the worker does not serve the checkpoint {item.Setup.Checkpoint} (start it with --serve for that file or its folder)";
        bool builtIn = item.Setup.Data is DataSource.FashionMnist or DataSource.FashionMnistSubset;
        if (!builtIn && !IsServed(item.Setup.Data))
            return $"the worker does not serve the data {item.Setup.Data} (start it with --serve for that folder)";
        // A response file (@file) would make the worker read a path nobody checked.
        if (item.Setup.Arguments.Any(a => a.StartsWith('@')))
            return "the worker refused the work: response files (@file) are not accepted in scoring options";
        return null;
    }

    /// <summary>A path is served when it is one the worker was given, or under a folder it was given.</summary>
    bool IsServed(string path)
    {
        string full = Path.GetFullPath(path);
        return settings.Served.Select(Path.GetFullPath).Any(s =>
            full == s || full.StartsWith(Path.TrimEndingDirectorySeparator(s) + Path.DirectorySeparatorChar, StringComparison.Ordinal));
    }

    public void Dispose()
    {
        lock (gate) current?.Context.Dispose();
    }
}
