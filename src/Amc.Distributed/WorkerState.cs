namespace Amc.Distributed;

/// <summary>What a worker does now, as the coordinator sees it.</summary>
public enum WorkerActivity { Loading, Idle, Scoring, Gone }

/// <summary>
/// One worker of the cluster as the coordinator sees it: its address, what it does, and the policy
/// it scores (numbered from 1 in the order the search handed its policies to the workers).
/// </summary>
public sealed record WorkerState(string Worker, WorkerActivity Activity, int? Policy = null, int Scored = 0)
{
    public override string ToString() => Activity switch
    {
        WorkerActivity.Scoring => $"{Worker} scoring policy {Policy}",
        _ => $"{Worker} {Activity.ToString().ToLowerInvariant()}",
    };
}
