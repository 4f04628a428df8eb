namespace Amc.Search;

/// <summary>
/// The search's random source: xoshiro256** with a state that can be saved and restored, so a
/// resumed search draws exactly the numbers an uninterrupted one would (System.Random's state
/// cannot be saved). Also the truncated normal of AMC's exploration noise: TorchSharp's
/// trunc_normal_ is broken in this version, and we want the draws on this reproducible stream.
/// </summary>
internal sealed class SearchRandom
{
    ulong s0, s1, s2, s3;

    public SearchRandom(long seed)
    {
        ulong x = (ulong)seed;
        s0 = SplitMix(ref x); s1 = SplitMix(ref x); s2 = SplitMix(ref x); s3 = SplitMix(ref x);
    }

    SearchRandom(ulong[] state) => (s0, s1, s2, s3) = (state[0], state[1], state[2], state[3]);

    public ulong[] State => [s0, s1, s2, s3];

    public static SearchRandom FromState(ulong[] state) => new(state);

    static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public ulong NextUInt64()
    {
        ulong result = ulong.RotateLeft(s1 * 5, 7) * 9;
        ulong t = s1 << 17;
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3;
        s2 ^= t;
        s3 = ulong.RotateLeft(s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    public double Uniform(double low, double high) => low + (high - low) * NextDouble();

    public int Next(int maxExclusive) => (int)(NextDouble() * maxExclusive);

    /// <summary>Standard normal (Box-Muller; one value per call keeps the stream simple).</summary>
    public double Normal()
    {
        double u1 = 1.0 - NextDouble(), u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>
    /// Normal(mean, sigma) truncated to [low, high], by rejection; after many rejections (mean far
    /// outside the interval) it falls back to a uniform draw inside it, so it always terminates.
    /// </summary>
    public double TruncatedNormal(double mean, double sigma, double low, double high)
    {
        if (sigma <= 0) return Math.Clamp(mean, low, high);
        for (int i = 0; i < 1000; i++)
        {
            double x = mean + sigma * Normal();
            if (x >= low && x <= high) return x;
        }
        return Uniform(low, high);
    }
}
