namespace Amc.Pruning;

/// <summary>Where the time of scoring one candidate went, in seconds.</summary>
public sealed record StageTimes(double Prune, double LeastSquares, double BatchNorm, double Evaluate)
{
    public double Total => Prune + LeastSquares + BatchNorm + Evaluate;
}
