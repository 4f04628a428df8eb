using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Amc.Cli;

/// <summary>
/// The values a numeric option may take: an interval, open or closed at either end. NaN is in no
/// interval, and infinity only in none (every range here is finite or open at infinity), so both
/// are refused wherever a range is set.
/// </summary>
public sealed record OptionRange(double Min, double Max, bool MinOpen = false, bool MaxOpen = false)
{
    /// <summary>A learning rate, a width: any finite number above zero.</summary>
    public static readonly OptionRange Positive = new(0, double.PositiveInfinity, MinOpen: true, MaxOpen: true);

    /// <summary>A weight decay, a ridge: zero or more, finite.</summary>
    public static readonly OptionRange NonNegative = new(0, double.PositiveInfinity, MaxOpen: true);

    /// <summary>A budget or a keep ratio: a fraction of the original, more than nothing.</summary>
    public static readonly OptionRange Fraction = new(0, 1, MinOpen: true);

    /// <summary>An input mean: any finite number.</summary>
    public static readonly OptionRange Finite = new(double.NegativeInfinity, double.PositiveInfinity, MinOpen: true, MaxOpen: true);

    public static OptionRange AtLeast(int min) => new(min, int.MaxValue);

    public static OptionRange Between(double min, double max) => new(min, max);

    public bool Contains(double v) =>
        !double.IsNaN(v) && !double.IsInfinity(v) && (MinOpen ? v > Min : v >= Min) && (MaxOpen ? v < Max : v <= Max);

    /// <summary>"at least 1", "a number > 0", "in (0, 1]": how the refusal states the range.</summary>
    public string Describe(bool integer)
    {
        string N(double v) => v.ToString(CultureInfo.InvariantCulture);
        if (double.IsNegativeInfinity(Min)) return "a finite number";
        if (double.IsPositiveInfinity(Max) || (integer && Max == int.MaxValue))
            return integer ? $"at least {N(MinOpen ? Min + 1 : Min)}" : $"a finite number {(MinOpen ? ">" : ">=")} {N(Min)}";
        if (integer) return $"between {N(MinOpen ? Min + 1 : Min)} and {N(MaxOpen ? Max - 1 : Max)}";
        return $"in {(MinOpen ? "(" : "[")}{N(Min)}, {N(Max)}{(MaxOpen ? ")" : "]")}";
    }

    /// <summary>The one-line refusal: names the option, the range and what was given.</summary>
    public string Refusal(string option, double value, bool integer) =>
        $"{option} must be {Describe(integer)}, got {value.ToString(CultureInfo.InvariantCulture)}";

    internal static bool IsInteger<T>() => typeof(T) == typeof(int) || typeof(T) == typeof(long);
}

/// <summary>
/// Attaches a range to an option, checked while the command line is parsed: a bad value stops
/// the command before it reads a file or allocates a tensor, with the option's name and range in
/// the one error line.
/// </summary>
public static class OptionRangeExtensions
{
    public static Option<T> In<T>(this Option<T> option, OptionRange range) where T : struct, IConvertible
    {
        option.Validators.Add(r =>
        {
            if (TryValue(r, out T v)) Validate(r, option.Name, v, range, OptionRange.IsInteger<T>());
        });
        return option;
    }

    public static Option<T?> In<T>(this Option<T?> option, OptionRange range) where T : struct, IConvertible
    {
        option.Validators.Add(r =>
        {
            if (TryValue(r, out T? v) && v is T value) Validate(r, option.Name, value, range, OptionRange.IsInteger<T>());
        });
        return option;
    }

    /// <summary>Every value of a list option (e.g. --mean 0.5 0.5 0.5) must be in the range.</summary>
    public static Option<T[]?> EachIn<T>(this Option<T[]?> option, OptionRange range) where T : struct, IConvertible
    {
        option.Validators.Add(r =>
        {
            if (!TryValue(r, out T[]? values)) return;
            // The first value out of range stands for all: one message per option.
            foreach (var v in values ?? [])
                if (!range.Contains(v.ToDouble(CultureInfo.InvariantCulture)))
                {
                    Validate(r, option.Name, v, range, OptionRange.IsInteger<T>());
                    return;
                }
        });
        return option;
    }

    /// <summary>The option's value; false when its text is no number (the parser reports that itself).</summary>
    static bool TryValue<T>(OptionResult r, out T value)
    {
        try
        {
            value = r.GetValueOrDefault<T>();
            return true;
        }
        catch (InvalidOperationException)
        {
            value = default!;
            return false;
        }
    }

    static void Validate<T>(OptionResult r, string name, T value, OptionRange range, bool integer) where T : IConvertible
    {
        double v = value.ToDouble(CultureInfo.InvariantCulture);
        if (!range.Contains(v)) r.AddError(range.Refusal(name, v, integer));
    }
}
