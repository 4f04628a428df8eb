using Amc.Graph;
using Amc.Onnx;
using Amc.Pruning;
using Amc.Search;
using Amc.Tests.Data;
using Amc.Torch;
using Amc.Training;
using static TorchSharp.torch;

namespace Amc.Tests.Search;

/// <summary>
/// A TorchSharp tensor that nothing disposes is freed by the finalizer thread, and can be freed
/// while a native call still reads it (a segfault in libtorch, never an exception: bench/ScalarRace
/// "chain"). The long-running paths must dispose every tensor they make, so none is left to the
/// finalizer. Alone, after the parallel tests, as the other tests of whole searches.
/// </summary>
[Collection(SerialSearchCollection.Name)]
public class FinalizedTensorTests
{
    [Theory]
    [InlineData(AgentKind.Ddpg, false)]
    [InlineData(AgentKind.Random, false)]
    [InlineData(AgentKind.Ddpg, true)]
    public void A_search_leaves_no_tensor_to_the_finalizer(AgentKind agent, bool onnxRuntime)
    {
        using var setup = new TinySearchSetup();
        using var dir = new TempFolder();
        var options = new SearchOptions
        {
            Episodes = 6, Seed = 5, Target = 0.6, Agent = agent,
            Ddpg = new DdpgOptions { WarmupEpisodes = 2, BatchSize = 8, Hidden = 32 },
        };
        var runner = onnxRuntime
            ? new SearchRunner(new PruningEnvironment(setup.Network, setup.Pruner.Graph, options, 2),
                new OnnxCandidateScorer(new CandidateBuilder(setup.Pruner, new PruneOptions(Round: 2, Seed: options.Seed)), setup.HeldOut),
                options, dir.Folder("search"), "test-fingerprint")
            : setup.Runner(options, dir.Folder("search"));
        Assert.Equal(0, LeftToFinalizer(() => runner.Run(resume: false)));
    }

    [Fact]
    public void A_sparsity_search_leaves_no_tensor_to_the_finalizer()
    {
        using var setup = new TinySearchSetup();
        using var dir = new TempFolder();
        var options = new SearchOptions
        {
            Mode = SearchMode.Sparsity, Resource = Resource.Params, Target = 0.3, LowerBound = 0.05, Episodes = 6, Seed = 3,
            Ddpg = new DdpgOptions { WarmupEpisodes = 2, BatchSize = 8, Hidden = 32 },
        };
        var scorer = new SparsityCandidateScorer(setup.Network, setup.Weights, setup.HeldOut, setup.Pruner.BatchNormBatches, onnxRuntime: false);
        var runner = new SearchRunner(new SparsityEnvironment(setup.Network, options), scorer, options, dir.Folder("search"), "test-fingerprint");
        Assert.Equal(0, LeftToFinalizer(() => runner.Run(resume: false)));
    }

    [Fact]
    public void Training_leaves_no_tensor_to_the_finalizer()
    {
        using var setup = new TinySearchSetup();
        using var dir = new TempFolder();
        using var module = new GraphModule(setup.Network);
        var data = TinySearchSetup.Synthetic(setup.Network.Input, 32, 3);
        var trainer = new Trainer(module, data, data.AllIndices(), new TrainOptions { Epochs = 1, BatchSize = 8, Seed = 3 });
        Assert.Equal(0, LeftToFinalizer(() =>
        {
            trainer.Run(0, null, _ => { });
            trainer.SaveOptimizer(dir.File("optimizer.bin"));
        }));
    }

    [Fact]
    public void Saving_and_exporting_leave_no_tensor_to_the_finalizer()
    {
        using var setup = new TinySearchSetup();
        using var dir = new TempFolder();
        Assert.Equal(0, LeftToFinalizer(() =>
        {
            SafeTensorsFile.Write(dir.File("weights.safetensors"), setup.Weights, new Dictionary<string, string>());
            OnnxExporter.Export(setup.Network, setup.Weights);
        }));
    }

    /// <summary>
    /// Tensors the work made on this thread and did not dispose: inside an outer DisposeScope every
    /// tensor made outside the work's own scopes registers there, and leaves it when disposed. No
    /// collection is forced: that would run the finalizers of every other test's garbage.
    /// </summary>
    static int LeftToFinalizer(Action work)
    {
        using var scope = NewDisposeScope();
        work();
        return scope.DisposablesCount;
    }
}
