using System.Diagnostics;
using static TorchSharp.torch;
using Amc.Onnx;
using Amc.Torch;

/// <summary>The product's deployment path: <see cref="OnnxExporter"/> then <see cref="OnnxRuntimeSession"/>.</summary>
static class OnnxRuntimeBackend
{
    public static Backend Create(GraphModule model, Workload w, int threads)
    {
        var session = new OnnxRuntimeSession(OnnxExporter.Export(model.Network, model.Tensors()), threads);
        var input = new float[w.Batch * w.Input.Elements];
        var rng = new Random(1);
        for (int i = 0; i < input.Length; i++) input[i] = (float)(rng.NextDouble() * 2 - 1);
        return new Backend("ONNX Runtime", n =>
        {
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < n; i++) session.Run(input, w.Batch);
            return clock.Elapsed.TotalSeconds;
        }, session);
    }

    /// <summary>Largest |logit difference| between ONNX Runtime and TorchSharp (eval mode) on a few random images, and the largest |logit|.</summary>
    public static (double Difference, double Largest) MaxDifference(GraphModule model, int threads)
    {
        const int batch = 4;
        var net = model.Network;
        using var session = new OnnxRuntimeSession(OnnxExporter.Export(net, model.Tensors()), threads);
        using var scope = NewDisposeScope();
        using var grad = no_grad();
        var x = randn(batch, net.Input.C, net.Input.H, net.Input.W);
        model.eval();
        var expected = model.call(x).data<float>().ToArray();
        var actual = session.Run(x.data<float>().ToArray(), batch);
        return (expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max(), expected.Max(Math.Abs));
    }
}
