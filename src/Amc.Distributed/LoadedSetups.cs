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

    /// <summary>Loads the setup unless it is loaded already; the refusal, if the work is refused.</summary>
    public string? Load(ScoringSetup setup, string secret) => Context(setup, secret).Refusal;

    public WorkResult Score(WorkItem item)
    {
        var (context, refusal) = Context(item.Setup, item.Secret);
        if (refusal is not null) return WorkResult.Refused(refusal);
        settings.Log?.Invoke("scoring a policy");
        var score = context!.Scorer.Score(Policy.OfWidths(item.Widths).WithInt8(item.Int8Groups ?? []));
        settings.Log?.Invoke(score.HeldOut.Agreement is double agreement
            ? $"scored: agreement {agreement:F4}, relative error {score.HeldOut.RelativeError?.ToString("F4") ?? "undefined"} in {score.Times.Total:F2} s"
            : $"scored: top-1 {score.HeldOut.Top1:F4} in {score.Times.Total:F2} s");
        return WorkResult.Of(score);
    }

    (ScoringContext? Context, string? Refusal) Context(ScoringSetup setup, string secret)
    {
        if (Refusal(setup, secret) is string reason) return (null, reason);
        lock (gate)
        {
            string key = setup.Key;
            if (current?.Key != key)
            {
                current?.Context.Dispose();
                current = null;
                settings.Log?.Invoke($"loading search {setup.Fingerprint}: {setup.Checkpoint}, data {setup.Data}");
                try { current = (key, settings.Load(setup)); }
                catch (Exception e) { return (null, $"worker cannot load the search's setup: {e.Message}"); }
            }
            return (current.Value.Context, null);
        }
    }

    string? Refusal(ScoringSetup setup, string secret)
    {
        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(settings.Secret)))
            return "the worker refused the work: wrong cluster secret";
        if (!IsServed(setup.Checkpoint))
            return $"the worker does not serve the checkpoint {setup.Checkpoint} (start it with --serve for that file or its folder)";
        bool builtIn = setup.Data is DataSource.FashionMnist or DataSource.FashionMnistSubset;
        if (!builtIn && !IsServed(setup.Data))
            return $"the worker does not serve the data {setup.Data} (start it with --serve for that folder)";
        if (setup.Grams is not null && !IsServed(setup.Grams))
            return $"the worker does not serve the Gram matrices file {setup.Grams}";
        // A response file (@file) would make the worker read a path nobody checked.
        if (setup.Arguments.Any(a => a.StartsWith('@')))
            return "the worker refused the work: response files (@file) are not accepted in scoring options";
        return null;
    }

    /// <summary>A path is served when it is one the worker was given, or under a folder it was given.</summary>
    bool IsServed(string path)
    {
        string full = Path.GetFullPath(path);
        return settings.Served.Select(Path.GetFullPath).Any(s =>
            full == s || full.StartsWith(Path.EndsInDirectorySeparator(s) ? s : s + Path.DirectorySeparatorChar, StringComparison.Ordinal));
    }

    public void Dispose()
    {
        lock (gate) current?.Context.Dispose();
    }
}
