using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Amc.Torch;

/// <summary>
/// The layers whose TorchSharp modules make a Scalar inline (see <see cref="Scalars"/>), in forms
/// that keep it alive. Parameter and buffer names are PyTorch's, as TorchSharp's modules have them.
/// </summary>
public static class ScalarSafeModules
{
    /// <summary>
    /// BatchNorm2d without the num_batches_tracked counter, whose <c>add_(1)</c> in every training
    /// forward is the inline Scalar. With a fixed momentum (always, here) the counter is never read.
    /// </summary>
    public static BatchNorm2d BatchNorm2d(long channels, double eps)
    {
#pragma warning disable AMC0001 // the forward's only Scalar is the counter's, removed below
        var bn = nn.BatchNorm2d(channels, eps: eps);
#pragma warning restore AMC0001
        bn.num_batches_tracked = null;
        return bn;
    }

    /// <summary>LeakyReLU whose slope is a Scalar the module owns.</summary>
    public sealed class LeakyReLU(double slope) : nn.Module<Tensor, Tensor>(nameof(LeakyReLU))
    {
        readonly Scalar negativeSlope = slope.ToScalar();

        public override Tensor forward(Tensor x) => x.leaky_relu(negativeSlope);

        protected override void Dispose(bool disposing)
        {
            if (disposing) negativeSlope.Dispose();
            base.Dispose(disposing);
        }
    }

    /// <summary>PReLU with one slope per channel, initialised to 0.25 as PyTorch does, from an array instead of <c>fill_</c>.</summary>
    public sealed class PReLU : nn.Module<Tensor, Tensor>
    {
        public Parameter weight;

        public PReLU(long channels) : base(nameof(PReLU))
        {
            weight = new Parameter(tensor(Enumerable.Repeat(0.25f, (int)channels).ToArray()));
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => nn.functional.prelu(x, weight);
    }
}
