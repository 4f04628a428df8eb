namespace Amc.Distributed;

/// <summary>
/// What a worker needs to score a search's policies as the coordinator would: the base checkpoint,
/// the data (a built-in name or a path) and the scoring options as command-line arguments
/// (data split, pruning, seed, engine). A worker loads the checkpoint, data and Gram matrices once
/// per setup (see <see cref="LoadedSetups"/>).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record ScoringSetup(
    [property: Id(0)] string Fingerprint,
    [property: Id(1)] string Checkpoint,
    [property: Id(2)] string Data,
    [property: Id(3)] string[] Arguments);
