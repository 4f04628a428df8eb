using Amc.Graph;
using Amc.Models;
using Amc.Tests.Data;
using TorchSharp.PyBridge;
using static TorchSharp.torch;
using Amc.Torch;

namespace Amc.Tests.Torch;

public class PyTorchWeightsTests
{
    static Network Net() => ModelZoo.Build("mobilenetv2", new ModelOptions(new TensorShape(3, 32, 32), 10, 0.25));

    [Fact]
    public void A_torch_save_state_dict_loads_into_the_zoo_model()
    {
        manual_seed(1);
        using var source = new GraphModule(Net());
        var state = new System.Collections.Hashtable();
        foreach (var (k, v) in source.Tensors()) state[k] = v;
        state["features.1.conv.0.1.num_batches_tracked"] = tensor(7L); // PyTorch writes these; they are dropped
        using var dir = new TempFolder();
        var path = dir.File("weights.pt");
        using (var f = File.Create(path)) PyTorchPickler.PickleStateDict(f, state);

        var fitted = PyTorchWeights.Fit(Net(), PyTorchWeights.Read(path), path);
        foreach (var (k, v) in source.Tensors()) Assert.True(v.allclose(fitted[k], 0, 0), k);
    }

    [Fact]
    public void Shape_mismatch_and_foreign_keys_are_named()
    {
        using var source = new GraphModule(Net());
        var state = source.Tensors().ToDictionary(kv => kv.Key, kv => kv.Value);
        state["classifier.1.weight"] = zeros(5, 5);
        var e = Assert.Throws<CheckpointException>(() => PyTorchWeights.Fit(Net(), state, "w.pt"));
        Assert.Contains("classifier.1.weight", e.Message);
        state = source.Tensors().ToDictionary(kv => kv.Key, kv => kv.Value);
        state["head.weight"] = zeros(1);
        e = Assert.Throws<CheckpointException>(() => PyTorchWeights.Fit(Net(), state, "w.pt"));
        Assert.Contains("head.weight", e.Message);
    }
}
