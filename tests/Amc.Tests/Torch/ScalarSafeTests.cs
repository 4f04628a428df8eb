using Amc.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Amc.Tests.Torch;

/// <summary>
/// amc's replacements for the TorchSharp optimizers and modules that make Scalars inline must compute
/// exactly what TorchSharp's do: a search or a training run gives the same numbers as before.
/// </summary>
public class ScalarSafeTests
{
    static nn.Module<Tensor, Tensor> Net(long seed)
    {
        manual_seed(seed);
        return nn.Sequential(("fc1", nn.Linear(6, 5)), ("relu", nn.ReLU()), ("fc2", nn.Linear(5, 3)));
    }

    /// <summary>Steps both optimizers on the same batches and learning rates; every parameter must match bit for bit.</summary>
    static void AssertSameSteps(Func<IEnumerable<TorchSharp.Modules.Parameter>, TorchSharp.Modules.OptimizerHelper> theirs, Func<IEnumerable<TorchSharp.Modules.Parameter>, TorchSharp.Modules.OptimizerHelper> ours)
    {
        var (a, b) = (Net(7), Net(7));
        var (oa, ob) = (theirs(a.parameters()), ours(b.parameters()));
        var g = new Generator(3);
        for (int step = 0; step < 6; step++)
        {
            var x = randn([4, 6], generator: g);
            var y = randint(0, 3, [4], generator: g);
            foreach (var o in new[] { oa, ob })
                foreach (var group in o.ParamGroups) group.LearningRate = 0.05 / (1 + step);
            foreach (var (net, o) in new[] { (a, oa), (b, ob) })
            {
                o.zero_grad();
                nn.functional.cross_entropy(net.call(x), y).backward();
                o.step();
            }
        }
        foreach (var (pa, pb) in a.parameters().Zip(b.parameters()))
            Assert.Equal(pa.data<float>().ToArray(), pb.data<float>().ToArray());
        Assert.NotEqual(Net(7).parameters().First().data<float>().ToArray(), a.parameters().First().data<float>().ToArray());

        // The state files are the same too, so a run resumed from a file saved before continues.
        Assert.Equal(Save(oa), Save(ob));
    }

    static byte[] Save(TorchSharp.Modules.OptimizerHelper o)
    {
        var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, System.Text.Encoding.UTF8, leaveOpen: true)) o.save_state_dict(w);
        return ms.ToArray();
    }

    [Fact]
    public void Adam_steps_as_TorchSharps_does() =>
        AssertSameSteps(p => optim.Adam(p, 0.01), p => new ScalarSafeOptimizers.Adam(p, 0.01));

    [Fact]
    public void Sgd_with_momentum_and_weight_decay_steps_as_TorchSharps_does() =>
        AssertSameSteps(p => optim.SGD(p, 0.05, 0.9, weight_decay: 5e-4), p => new ScalarSafeOptimizers.SGD(p, 0.05, 0.9, 5e-4));

    [Fact]
    public void Modules_compute_what_TorchSharps_do()
    {
        var g = new Generator(5);
        var x = randn([3, 4, 5, 5], generator: g);

#pragma warning disable AMC0001 // TorchSharp's own modules are the reference here
        var (theirs, ours) = (nn.BatchNorm2d(4, eps: GraphModule.BatchNormEpsilon), ScalarSafeModules.BatchNorm2d(4, GraphModule.BatchNormEpsilon));
        Assert.Equal(nn.LeakyReLU(0.2).call(x).data<float>().ToArray(), new ScalarSafeModules.LeakyReLU(0.2).call(x).data<float>().ToArray());
        Assert.Equal(nn.PReLU(4).call(x).data<float>().ToArray(), new ScalarSafeModules.PReLU(4).call(x).data<float>().ToArray());
#pragma warning restore AMC0001
        Assert.Null(ours.num_batches_tracked);
        foreach (var m in new[] { theirs, ours }) m.train();
        for (int i = 0; i < 3; i++)
            Assert.Equal(theirs.call(x).data<float>().ToArray(), ours.call(x).data<float>().ToArray());
        Assert.Equal(theirs.running_mean!.data<float>().ToArray(), ours.running_mean!.data<float>().ToArray());
        Assert.Equal(theirs.running_var!.data<float>().ToArray(), ours.running_var!.data<float>().ToArray());
        Assert.Equal(["weight"], new ScalarSafeModules.PReLU(4).named_parameters().Select(p => p.name));
    }
}
