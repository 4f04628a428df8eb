namespace Amc.Search;

/// <summary>Reported after every episode, for progress bars and logs.</summary>
public sealed record SearchProgress(int Episode, int Episodes, string Phase, double Reward, double Top1, double MacsFraction, double? BudgetFraction, BestPolicy Best, double SecondsPerEpisode);
