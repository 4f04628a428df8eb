namespace Amc.Distributed;

/// <summary>
/// The worker grain. Orleans runs one request of a grain at a time, so a worker scores one policy
/// at a time; the work runs off Orleans' scheduler threads so a long score does not stall the silo.
/// </summary>
[OnSiloPlacement]
public sealed class ScoringWorker(LoadedSetups setups) : Grain, IScoringWorker
{
    public Task<string?> Load(ScoringSetup setup, string secret) => Task.Run(() => setups.Load(setup, secret));

    public Task<WorkResult> Score(WorkItem item) => Task.Run(() => setups.Score(item));
}
