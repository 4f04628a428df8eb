using TorchSharp;
using static TorchSharp.torch;

namespace Amc.Torch;

/// <summary>
/// Tensor arithmetic with numbers, written so that the native Scalar each operation needs stays alive
/// until the native call returns. TorchSharp 0.107 makes such a Scalar for a number (and for the
/// implicit alpha of <c>a + b</c>), reads its handle and drops it: a collection started by another
/// thread can then finalize it while libtorch reads it (docs/RELIABILITY.md). A Scalar in a static
/// field is never finalized; one in a <c>using</c> local lives until its Dispose, after the call.
/// The analyzer AMC0001 (src/Amc.Analyzers) refuses the inline forms.
/// </summary>
public static class Scalars
{
    static readonly Scalar One = 1.ToScalar();
    static readonly Scalar Zero = 0.ToScalar();

    /// <summary>Runs <paramref name="op"/> with v as a Scalar that lives until op has returned.</summary>
    static Tensor With(double v, Func<Scalar, Tensor> op)
    {
        using var s = v.ToScalar();
        return op(s);
    }

    /// <summary>a clamped to [0, 1].</summary>
    public static Tensor ClampToUnit(this Tensor a) => a.clamp(Zero, One);

    /// <summary>a + b.</summary>
    public static Tensor Plus(this Tensor a, Tensor b) => a.add(b, One);

    /// <summary>True where a is 0.</summary>
    public static Tensor IsZero(this Tensor a) => a.eq(Zero);

    /// <summary>True where a is not 0.</summary>
    public static Tensor NonZero(this Tensor a) => a.ne(Zero);

    /// <summary>a += b, in place.</summary>
    public static Tensor PlusInPlace(this Tensor a, Tensor b) => a.add_(b, One);

    /// <summary>a += v, in place.</summary>
    public static Tensor PlusInPlace(this Tensor a, double v) => With(v, s => a.add_(s, One));

    /// <summary>a + v.</summary>
    public static Tensor Plus(this Tensor a, double v) => With(v, s => a.add(s, One));

    /// <summary>Every element set to v, in place.</summary>
    public static Tensor FillWith(this Tensor a, double v) => With(v, s => a.fill_(s));

    /// <summary>a * v.</summary>
    public static Tensor Times(this Tensor a, double v) => With(v, s => a.mul(s));

    /// <summary>a / v.</summary>
    public static Tensor DividedBy(this Tensor a, double v) => With(v, s => a.div(s));

    /// <summary>a - v.</summary>
    public static Tensor Minus(this Tensor a, double v) => With(v, s => a.sub(s));

    /// <summary>Element-wise a², as <c>a.square()</c> (which makes its exponent inline).</summary>
    public static Tensor Squared(this Tensor a) => a.mul(a);

    /// <summary>Sets the elements at <paramref name="index"/> along <paramref name="dim"/> to 0, in place.</summary>
    public static Tensor ZeroAt(this Tensor a, long dim, Tensor index) => a.index_fill_(dim, index, Zero);
}
