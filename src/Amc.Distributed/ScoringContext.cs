using Amc.Search;

namespace Amc.Distributed;

/// <summary>A loaded setup: its scorer and what must be freed with it (checkpoint, images, Gram matrices).</summary>
public sealed record ScoringContext(ICandidateScorer Scorer, IDisposable Resources) : IDisposable
{
    public void Dispose() => Resources.Dispose();
}
