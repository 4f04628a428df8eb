using System.Security.Cryptography;
using System.Text;

namespace Amc.Distributed;

/// <summary>
/// What a worker needs to score a search's policies as the coordinator would: the base checkpoint,
/// the data (a built-in name or a path) and the scoring options as command-line arguments
/// (data split, pruning, seed, engine). A worker loads the checkpoint, data and Gram matrices once
/// per setup (see <see cref="LoadedSetups"/>). <see cref="Grams"/>: a file of the Gram matrices the
/// coordinator collected, for workers that can read it (its local ones), instead of collecting them.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record ScoringSetup(
    [property: Id(0)] string Fingerprint,
    [property: Id(1)] string Checkpoint,
    [property: Id(2)] string Data,
    [property: Id(3)] string[] Arguments,
    [property: Id(4)] string? Grams = null)
{
    /// <summary>What the scores depend on (a hash of all but <see cref="Grams"/>): the loaded setup's and the Gram file's key.</summary>
    public string Key => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', [Fingerprint, Checkpoint, Data, .. Arguments]))));
}
