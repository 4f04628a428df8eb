namespace Amc.Distributed;

/// <summary>
/// The scoring worker of one silo (its key is the silo's address, see <see cref="OnSiloPlacement"/>):
/// prunes, reconstructs and scores the policies it is sent, one at a time.
/// </summary>
public interface IScoringWorker : IGrainWithStringKey
{
    Task<WorkResult> Score(WorkItem item);
}
