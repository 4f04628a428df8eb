/// <summary>
/// A runtime ready to run one workload: <see cref="Run"/> does n iterations (steps or forward
/// passes) and returns their wall time in seconds. Set-up (building, exporting, loading) is done
/// before, so it is never timed.
/// </summary>
sealed record Backend(string Name, Func<int, double> Run, IDisposable? Resources = null);
