using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;
using Amc.Torch;

/// <summary>The product's TorchSharp path: a <see cref="GraphModule"/> built from the zoo's description.</summary>
static class TorchSharpBackend
{
    /// <summary>Times a copy of <paramref name="template"/> (its weights and BN statistics).</summary>
    public static Backend Create(GraphModule template, Workload w)
    {
        var model = new GraphModule(template.Network);
        model.LoadTensors(template.Tensors());
        var x = randn(w.Batch, w.Input.C, w.Input.H, w.Input.W);
        if (!w.Train)
        {
            model.eval();
            return new Backend("TorchSharp", n => Time(n, () =>
            {
                using var grad = no_grad();
                model.call(x);
            }), new Owned(model, x));
        }
        var y = randint(0, Workload.Classes, [w.Batch]);
        model.train();
        // The optimizer and step of amc train (Trainer), on one fixed batch: no data loading is timed.
        var optimizer = optim.SGD(model.parameters(), 0.1, 0.9, weight_decay: 5e-4);
        return new Backend("TorchSharp", n => Time(n, () =>
        {
            optimizer.zero_grad();
            var loss = nn.functional.cross_entropy(model.call(x), y);
            loss.backward();
            optimizer.step();
            loss.item<float>();
        }), new Owned(model, x, y, optimizer));
    }

    /// <summary>Each iteration in its own dispose scope, as the product's loops do.</summary>
    static double Time(int n, Action step)
    {
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < n; i++)
        {
            using var scope = NewDisposeScope();
            step();
        }
        return clock.Elapsed.TotalSeconds;
    }

    sealed class Owned(params IDisposable[] items) : IDisposable
    {
        public void Dispose()
        {
            foreach (var item in items) item.Dispose();
        }
    }
}
