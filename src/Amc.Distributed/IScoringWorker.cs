namespace Amc.Distributed;

/// <summary>
/// The scoring worker of one silo (its key is the silo's address, see <see cref="OnSiloPlacement"/>):
/// prunes, reconstructs and scores the policies it is sent, one at a time.
/// </summary>
public interface IScoringWorker : IGrainWithStringKey
{
    /// <summary>Loads a search's setup (checkpoint, data, Gram matrices) before its first policy; the refusal, if the worker refuses the work.</summary>
    Task<string?> Load(ScoringSetup setup, string secret);

    Task<WorkResult> Score(WorkItem item);
}
