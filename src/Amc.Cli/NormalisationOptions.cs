using System.CommandLine;

namespace Amc.Cli;

/// <summary>--mean and --std: the input normalisation a model from elsewhere expects (import, quantize).</summary>
static class NormalisationOptions
{
    public static Option<float[]?> Mean(string when) =>
        new Option<float[]?>("--mean") { Description = $"Per-channel input mean the model expects (0..1 scale), e.g. --mean 0.485 0.456 0.406{when}", AllowMultipleArgumentsPerToken = true }
            .EachIn(OptionRange.Finite);

    public static Option<float[]?> Std() =>
        new Option<float[]?>("--std") { Description = "Per-channel input std the model expects (0..1 scale)", AllowMultipleArgumentsPerToken = true }.EachIn(OptionRange.Positive);

    /// <summary>Both given, or neither (null, null).</summary>
    public static (float[]? Mean, float[]? Std) Read(ParseResult p, Option<float[]?> mean, Option<float[]?> std)
    {
        // An array option left out parses as empty, not null.
        float[]? m = p.GetValue(mean) is { Length: > 0 } mv ? mv : null, s = p.GetValue(std) is { Length: > 0 } sv ? sv : null;
        if ((m is null) != (s is null)) throw new UsageException("give both --mean and --std, or neither");
        return (m, s);
    }
}
