namespace Amc.Pruning;

/// <summary>Where the time of scoring one candidate went, in seconds.</summary>
/// <param name="BatchNorm">Running the BN images and pooling their statistics.</param>
/// <param name="Evaluate">Running the held-out images.</param>
/// <param name="Export">ONNX export and session creation, for BN re-estimation and evaluation (0 with TorchSharp).</param>
public sealed record StageTimes(double Prune, double LeastSquares, double BatchNorm, double Evaluate, double Export = 0)
{
    public double Total => Prune + LeastSquares + BatchNorm + Evaluate + Export;
}
