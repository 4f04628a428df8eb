namespace Amc.Graph;

/// <summary>
/// Shape of one sample flowing between layers: C x H x W for feature maps, or a flat vector of C
/// features (H = W = 1, Flat = true) after Flatten / Linear.
/// </summary>
public sealed record TensorShape(int C, int H, int W, bool Flat = false)
{
    public static TensorShape Vector(int features) => new(features, 1, 1, true);
    public long Elements => (long)C * H * W;
    public override string ToString() => Flat ? $"{C}" : $"{C}x{H}x{W}";

    /// <summary>Parses "3x32x32" (the CLI's --input form).</summary>
    public static TensorShape Parse(string text)
    {
        var parts = text.Split('x', 'X');
        if (parts.Length != 3 || !parts.All(p => long.TryParse(p, out _)))
            throw new FormatException($"input shape '{text}' is not CxHxW, e.g. 3x32x32");
        var v = parts.Select(long.Parse).ToArray();
        if (v.Any(d => d < 1 || d > int.MaxValue))
            throw new FormatException($"input shape '{text}': channels, height and width must each be between 1 and {int.MaxValue}, e.g. 3x32x32");
        return new TensorShape((int)v[0], (int)v[1], (int)v[2]);
    }
}
