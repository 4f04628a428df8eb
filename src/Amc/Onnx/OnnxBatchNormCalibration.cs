using System.Diagnostics;
using Amc.Graph;
using Amc.Pruning;
using static TorchSharp.torch;

namespace Amc.Onnx;

/// <summary>
/// BN re-estimation run by ONNX Runtime: the same statistics as <see cref="BatchNormCalibration"/>
/// (every BN normalising by its batch during the pass, the per-batch means and variances pooled
/// over all images by <see cref="ChannelMoments"/>), from a graph in which each BN computes its
/// batch statistics and hands them out (<see cref="OnnxExporter.ExportBatchStatistics"/>). At
/// 224x224 this pass was most of an ORT-scored episode when TorchSharp ran it
/// (docs/BENCHMARKS.md, "Search episode at 224x224"). The images are copied to arrays once; several
/// candidates may be recalibrated at once.
/// </summary>
/// <remarks>
/// The graph runs without ONNX Runtime's graph optimizations: from the basic level on, ORT 1.31
/// folds a Conv without bias into the BatchNormalization that follows it even in training mode,
/// and the "batch statistics" it then hands out are not the conv output's (the test on ResNet-20
/// catches it). Unoptimized, the convolutions run in plain NCHW, which costs what the optimized
/// graph spent converting layouts around the BNs (docs/BENCHMARKS.md).
/// </remarks>
internal sealed class OnnxBatchNormCalibration(IReadOnlyList<Tensor> batches)
{
    readonly List<(float[] Images, int Count)> arrays = batches.Select(b =>
    {
        using var c = b.contiguous();
        return (c.data<float>().ToArray(), (int)b.shape[0]);
    }).ToList();

    /// <summary>
    /// <paramref name="weights"/> with every BN's running mean and unbiased variance re-estimated
    /// (new tensors; the other entries are the same tensors). Seconds of export + session creation
    /// and of the pass over the images are reported apart.
    /// </summary>
    public Dictionary<string, Tensor> Recalibrate(Network net, IReadOnlyDictionary<string, Tensor> weights, int threads,
        out double exportSeconds, out double runSeconds)
    {
        var result = weights.ToDictionary(kv => kv.Key, kv => kv.Value);
        var shapes = ShapeInference.Infer(net);
        var bns = net.Layers.Where(l => l.Kind == LayerKind.BatchNorm2d).ToList();
        exportSeconds = runSeconds = 0;
        if (bns.Count == 0 || arrays.Count == 0) return result;

        var clock = Stopwatch.StartNew();
        using var session = new OnnxRuntimeSession(OnnxExporter.ExportBatchStatistics(net, weights), threads, optimize: false);
        exportSeconds = clock.Elapsed.TotalSeconds;
        clock.Restart();
        var moments = bns.Select(l => new ChannelMoments(shapes[l.Name].C)).ToList();
        foreach (var (images, count) in arrays)
        {
            var statistics = session.Run(images, count);
            int at = 0;
            for (int i = 0; i < bns.Count; i++)
            {
                var input = shapes[bns[i].Input];
                int c = input.C;
                long n = (long)count * input.H * input.W;
                var mean = new double[c];
                var variance = new double[c];
                // The graph gives the biased variance; ChannelMoments takes the unbiased one.
                double unbias = n > 1 ? (double)n / (n - 1) : 1;
                for (int k = 0; k < c; k++)
                {
                    mean[k] = statistics[at + k];
                    variance[k] = statistics[at + c + k] * unbias;
                }
                moments[i].Add(n, mean, variance);
                at += 2 * c;
            }
        }
        for (int i = 0; i < bns.Count; i++)
        {
            result[$"{bns[i].Name}.running_mean"] = tensor(moments[i].Mean().Select(v => (float)v).ToArray());
            result[$"{bns[i].Name}.running_var"] = tensor(moments[i].UnbiasedVariance().Select(v => (float)v).ToArray());
        }
        runSeconds = clock.Elapsed.TotalSeconds;
        return result;
    }
}
