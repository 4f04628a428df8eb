namespace Amc.Search;

/// <summary>Reported for every episode once its round is saved, for progress bars and logs.</summary>
/// <param name="Score">The episode's score on the reward's metric (<see cref="Search.Reward.Score(SearchOptions, Amc.Training.Evaluation)"/>).</param>
/// <param name="Best">Null while every episode so far gave non-finite outputs.</param>
public sealed record SearchProgress(int Episode, int Episodes, string Phase, double Reward, double Score, double MacsFraction, double? BudgetFraction, BestPolicy? Best, double SecondsPerEpisode);
