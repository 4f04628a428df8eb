using System.Diagnostics;

namespace Amc.Sessions;

/// <summary>
/// A pass over image batches that says how far it is: a line every few seconds with the images
/// done and the time left, so a long calibration or scoring pass at 224x224 is not silent.
/// </summary>
internal static class PassProgress
{
    const double Interval = 5;

    public static IEnumerable<T> Report<T>(IEnumerable<T> batches, Func<T, int> count, int total, string what, Action<string>? progress)
    {
        if (progress is null)
        {
            foreach (var b in batches) yield return b;
            yield break;
        }
        var clock = Stopwatch.StartNew();
        double last = 0;
        int done = 0;
        foreach (var b in batches)
        {
            yield return b;
            done += count(b);
            double seconds = clock.Elapsed.TotalSeconds;
            if (seconds - last >= Interval && done < total)
            {
                last = seconds;
                progress($"  {what}: {done}/{total} images, {seconds * (total - done) / done:F0} s left");
            }
        }
    }
}
