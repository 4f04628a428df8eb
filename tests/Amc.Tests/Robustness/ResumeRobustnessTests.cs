using System.Text.Json.Nodes;
using Amc.Graph;
using Amc.Models;
using Amc.Search;
using Amc.Tests.Cli;
using Amc.Tests.Data;
using Amc.Tests.Search;
using Amc.Training;
using TorchSharp;
using static TorchSharp.torch;
using Amc.Torch;

namespace Amc.Tests.Robustness;

/// <summary>
/// What a resume reads besides the checkpoint: the optimizer state of `train --resume` and the
/// search state and episode log of `search --resume`. Truncated, damaged or another network's
/// files are refused as a CheckpointException naming the file, before TorchSharp or libtorch
/// would read them (and allocate, or fail much later).
/// </summary>
public sealed class ResumeRobustnessTests(ResumeRobustnessTests.SearchedOnce searched) : IDisposable, IClassFixture<ResumeRobustnessTests.SearchedOnce>
{
    readonly TempFolder temp = new();
    readonly TinySearchSetup setup = searched.Setup;

    public void Dispose() => temp.Dispose();

    // The optimizer state check.

    static GraphModule Net(int width, int seed = 1)
    {
        manual_seed(seed);
        return new GraphModule(new Network
        {
            Name = "n", Input = new TensorShape(1, 4, 4),
            Layers =
            [
                new Layer { Name = "conv", Kind = LayerKind.Conv2d, Inputs = [Network.InputName], Out = width, Kernel = 3, Padding = 1, Bias = true },
                new Layer { Name = "pool", Kind = LayerKind.GlobalAvgPool, Inputs = ["conv"] },
                new Layer { Name = "flat", Kind = LayerKind.Flatten, Inputs = ["pool"] },
                new Layer { Name = "fc", Kind = LayerKind.Linear, Inputs = ["flat"], Out = 2 },
            ],
        });
    }

    static byte[] Save(TorchSharp.Modules.OptimizerHelper o)
    {
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, System.Text.Encoding.UTF8, leaveOpen: true)) o.save_state_dict(w);
        return ms.ToArray();
    }

    /// <summary>One step, so the optimizer has state tensors (momentum, moments) to save.</summary>
    static void Step(GraphModule net, optim.Optimizer o)
    {
        o.zero_grad();
        using var x = randn(2, 1, 4, 4);
        using var loss = net.call(x).sum();
        loss.backward();
        o.step();
    }

    public static TheoryData<string, bool> Optimizers() => new() { { "sgd", false }, { "sgd", true }, { "adam", false }, { "adam", true }, { "amsgrad", true } };

    static TorchSharp.Modules.OptimizerHelper Make(string kind, GraphModule net) => kind switch
    {
        "sgd" => optim.SGD(net.parameters(), 0.1, momentum: 0.9),
        "adam" => optim.Adam(net.parameters(), 0.01),
        _ => optim.Adam(net.parameters(), 0.01, amsgrad: true),
    };

    /// <summary>Real states pass: the check walks TorchSharp's layout exactly (this fails if it changes).</summary>
    [Theory]
    [MemberData(nameof(Optimizers))]
    public void Saved_states_pass_and_load(string kind, bool stepped)
    {
        using var a = Net(4);
        using var oa = Make(kind, a);
        if (stepped) Step(a, oa);
        var bytes = Save(oa);
        using var b = Net(4, seed: 2);
        using var ob = Make(kind, b);
        Assert.Null(OptimizerStateCheck.Problem(bytes, ob));
        using var r = new BinaryReader(new MemoryStream(bytes));
        ob.load_state_dict(r);
        Assert.Equal(bytes, Save(ob));
    }

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void Every_truncation_is_found(string kind, bool stepped)
    {
        using var a = Net(4);
        using var o = Make(kind, a);
        if (stepped) Step(a, o);
        var bytes = Save(o);
        for (int n = 0; n < bytes.Length; n++)
            Assert.NotNull(OptimizerStateCheck.Problem(bytes[..n], o));
        Assert.Contains("bytes after the last parameter's state", OptimizerStateCheck.Problem([.. bytes, 0], o));
    }

    [Fact]
    public void State_of_another_network_or_optimizer_is_named()
    {
        using var small = Net(4);
        using var big = Net(6);
        using var os = optim.SGD(small.parameters(), 0.1, momentum: 0.9);
        using var ob = optim.SGD(big.parameters(), 0.1, momentum: 0.9);
        Step(small, os);
        Assert.Contains("is of another network: the momentum buffer (state of parameter 0) has shape [4, 1, 3, 3], the parameter [6, 1, 3, 3]",
            OptimizerStateCheck.Problem(Save(os), ob));

        using var adam = optim.Adam(big.parameters(), 0.01);
        Assert.Contains("holds the state of a 'SGD' optimizer, not of Adam", OptimizerStateCheck.Problem(Save(os), adam));
    }

    [Fact]
    public void Flipped_bytes_never_get_past_the_check_into_a_crash()
    {
        using var a = Net(4);
        using var o = optim.SGD(a.parameters(), 0.1, momentum: 0.9);
        Step(a, o);
        var bytes = Save(o);
        var rng = new Random(4);
        for (int i = 0; i < 400; i++)
        {
            var damaged = (byte[])bytes.Clone();
            damaged[rng.Next(damaged.Length)] ^= (byte)(1 << rng.Next(8));
            // Either refused, or structurally sound (a flip inside data or options): then it loads.
            if (OptimizerStateCheck.Problem(damaged, o) is null)
            {
                using var r = new BinaryReader(new MemoryStream(damaged));
                o.load_state_dict(r);
            }
        }
    }

    // train --resume: the trainer's optimizer file.

    /// <summary>Eight images of two classes, enough for one epoch of two steps.</summary>
    static Trainer TrainerOf(GraphModule net)
    {
        var shape = net.Network.Input;
        int size = shape.C * shape.H * shape.W;
        var data = new Amc.Data.Dataset("d", Enumerable.Range(0, 8 * size).Select(i => (byte)(i * 37)).ToArray(), [0, 1, 0, 1, 0, 1, 0, 1], shape, 2, [0.5f], [0.3f]);
        return new Trainer(net, data, data.AllIndices(), new TrainOptions { Epochs = 1, BatchSize = 4, Augment = false });
    }

    [Fact]
    public void Trainer_refuses_an_optimizer_file_of_another_network_or_truncated()
    {
        using var small = Net(4);
        using var big = Net(6);
        var path = temp.File("x.amc.optim");
        var trainer = TrainerOf(small);
        trainer.Run(0, null, _ => { });
        trainer.SaveOptimizer(path);

        var e = Assert.Throws<CheckpointException>(() => TrainerOf(big).LoadOptimizer(path));
        Assert.StartsWith($"{path}: this optimizer state is of another network", e.Message);

        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length - 10)]);
        e = Assert.Throws<CheckpointException>(() => TrainerOf(small).LoadOptimizer(path));
        Assert.Contains("is truncated", e.Message);
        Assert.Contains("drop --resume", e.Message);

        using (var f = File.Create(path)) f.SetLength(3L << 30); // sparse: no disk used
        e = Assert.Throws<CheckpointException>(() => TrainerOf(small).LoadOptimizer(path));
        Assert.Contains($"is {3L << 30} bytes", e.Message);
    }

    // search --resume: the state file and the episode log.

    static SearchOptions Options() => new()
    {
        Episodes = 3, Seed = 3, Target = 0.6,
        Ddpg = new DdpgOptions { WarmupEpisodes = 1, BatchSize = 4, Hidden = 8 },
    };

    /// <summary>One search of 2 episodes (of 3, so it can be resumed), run once for the class: each test damages a copy.</summary>
    public sealed class SearchedOnce : IDisposable
    {
        readonly TempFolder temp = new();
        internal TinySearchSetup Setup { get; } = new();
        public string Folder { get; }

        public SearchedOnce()
        {
            Folder = temp.Folder("search");
            Setup.Runner(Options() with { Episodes = 2 }, Folder).Run(resume: false);
        }

        public void Dispose()
        {
            Setup.Dispose();
            temp.Dispose();
        }
    }

    /// <summary>A fresh copy of the finished search's folder.</summary>
    string Searched()
    {
        var dir = temp.Folder(Guid.NewGuid().ToString("N")[..8]);
        foreach (var f in Directory.GetFiles(searched.Folder)) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        return dir;
    }

    CheckpointException ResumeFails(string dir) =>
        Assert.Throws<CheckpointException>(() => setup.Runner(Options(), dir).Run(resume: true));

    /// <summary>Edits the state JSON held in the state file's metadata.</summary>
    static void EditState(string dir, Action<JsonObject> edit) =>
        CheckpointRobustnessTests.RewriteMetadata(Path.Combine(dir, "search-state.safetensors"), "amc.search-state", json =>
        {
            var node = JsonNode.Parse(json)!.AsObject();
            edit(node);
            return node.ToJsonString();
        });

    public static TheoryData<string, string> StateDamage() => new()
    {
        { "random-short", "the random state has 2 numbers, 4 expected" },
        { "random-null", "JSON is not valid" },
        { "random-text", "JSON is not valid" },
        { "episode-negative", "the next episode is -1" },
        { "episode-beyond", "it is at episode 9 of a search of 3" },
        { "best-null", "2 episodes are done but no best policy is saved" },
        { "best-widths-short", "the best policy's widths [1] do not fit" },
        { "best-widths-zero", "do not fit this network's" },
        { "best-missing-field", "JSON is not valid" },
        { "replay-null", "JSON is not valid" },
        { "replay-item-null", "replay transition 0 is null" },
        { "replay-state-short", "replay transition 0 has states of 2 and 11 features, 11 expected" },
        { "optimizer-not-base64", "the actor's optimizer state is not base64" },
        { "optimizer-truncated", "the actor's optimizer state is truncated" },
        { "optimizer-swapped", "another network" },
        { "optimizer-one", "only one of the actor and the critic" },
        { "duplicate-key", "JSON is not valid" },
    };

    [Theory]
    [MemberData(nameof(StateDamage))]
    public void Damaged_search_state_is_refused_naming_it(string damage, string expected)
    {
        var dir = Searched();
        EditState(dir, s =>
        {
            switch (damage)
            {
                case "random-short": s["Random"] = new JsonArray(1, 2); break;
                case "random-null": s["Random"] = null; break;
                case "random-text": s["Random"] = "seed"; break;
                case "episode-negative": s["NextEpisode"] = -1; break;
                case "episode-beyond": s["NextEpisode"] = 9; break;
                case "best-null": s["Best"] = null; break;
                case "best-widths-short": s["Best"]!["Widths"] = new JsonArray(1); break;
                case "best-widths-zero": s["Best"]!["Widths"]!.AsArray()[0] = 0; break;
                case "best-missing-field": s["Best"]!.AsObject().Remove("Widths"); break;
                case "replay-null": s["Replay"] = null; break;
                case "replay-item-null": s["Replay"]!.AsArray()[0] = null; break;
                case "replay-state-short": s["Replay"]![0]!["State"] = new JsonArray(0.5, 0.5); break;
                case "optimizer-not-base64": s["ActorOptimizer"] = "not base64!"; break;
                case "optimizer-truncated":
                    var b = Convert.FromBase64String(s["ActorOptimizer"]!.GetValue<string>());
                    s["ActorOptimizer"] = Convert.ToBase64String(b[..(b.Length / 2)]);
                    break;
                case "optimizer-swapped": s["ActorOptimizer"] = s["CriticOptimizer"]!.GetValue<string>(); break;
                case "optimizer-one": s["CriticOptimizer"] = null; break;
            }
        });
        if (damage == "duplicate-key")
            CheckpointRobustnessTests.RewriteMetadata(Path.Combine(dir, "search-state.safetensors"), "amc.search-state",
                json => json.Replace("\"NextEpisode\":2", "\"NextEpisode\":2,\"NextEpisode\":0"));
        var e = ResumeFails(dir);
        Assert.StartsWith(Path.Combine(dir, "search-state.safetensors") + ": damaged search state", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData("missing")]
    [InlineData("shape")]
    [InlineData("extra")]
    public void Search_state_tensors_that_are_not_the_agents(string damage)
    {
        var dir = Searched();
        var path = Path.Combine(dir, "search-state.safetensors");
        var (tensors, meta) = SafeTensorsFile.Read(path);
        var key = tensors.Keys.Order().First();
        switch (damage)
        {
            case "missing": tensors.Remove(key); break;
            case "shape": tensors[key] = zeros(3); break;
            default: tensors["stowaway"] = zeros(1); break;
        }
        SafeTensorsFile.Write(path, tensors, meta);
        var e = ResumeFails(dir);
        Assert.Contains(damage == "extra" ? "tensor 'stowaway' is not one of the agent's" : $"the agent's tensor '{key}'", e.Message);
    }

    [Fact]
    public void Truncated_search_state_is_refused()
    {
        var dir = Searched();
        var path = Path.Combine(dir, "search-state.safetensors");
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length - 100)]);
        var e = ResumeFails(dir);
        Assert.StartsWith(path + ": file is truncated", e.Message);
    }

    [Theory]
    [InlineData("not json at all", "line 1 is not an episode record")]
    [InlineData("null", "line 1 is null")]
    [InlineData("""{"episode": 0}""", "line 1 is not an episode record")]
    [InlineData("""{"episode":0,"phase":"warmup","rawActions":[0.5],"keep":[0.5],"channels":[4],"macs":1,"params":1,"macsFraction":1,"paramsFraction":1,"top1":0,"top5":0,"reward":0,"sigma":0,"seconds":0,"times":{"prune":0,"leastSquares":0,"batchNorm":0,"evaluate":0},"agentSeconds":0}""", "line 1 has 1 actions")]
    public void Damaged_episode_log_line_is_refused(string line, string expected)
    {
        var dir = Searched();
        var log = Path.Combine(dir, "episodes.jsonl");
        var lines = File.ReadAllLines(log);
        lines[0] = line;
        File.WriteAllLines(log, lines);
        var e = ResumeFails(dir);
        Assert.StartsWith(log + ": ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Episode_log_channels_out_of_range_are_refused()
    {
        var dir = Searched();
        var log = Path.Combine(dir, "episodes.jsonl");
        var lines = File.ReadAllLines(log);
        var first = JsonNode.Parse(lines[0])!.AsObject();
        first["channels"]!.AsArray()[0] = 0;
        lines[0] = first.ToJsonString();
        File.WriteAllLines(log, lines);
        Assert.Contains("line 1 gives '", ResumeFails(dir).Message);
    }

    // What the user sees.

    /// <summary>An untrained checkpoint of a tiny network, one epoch of two done, on TinyIdxData-sized images.</summary>
    string Checkpoint(string name, int width)
    {
        var net = ModelZoo.Build("resnet20", new ModelOptions(new TensorShape(1, 12, 12), 10, width / 16.0));
        using var module = new GraphModule(net);
        var path = temp.File(name);
        Amc.Torch.Checkpoint.From(module, new CheckpointInfo { Model = "resnet20", Epochs = 2, EpochsDone = 1 }).Save(path);
        return path;
    }

    [Theory]
    [InlineData("other-network")]
    [InlineData("truncated")]
    public void Cli_train_resume_refuses_a_bad_optimizer_file_on_one_line(string damage)
    {
        var data = TinyIdxData.Write(temp.File("data"), train: 40, test: 10, size: 12);
        var ck = Checkpoint("x.amc", 4);
        var optim = ck + ".optim";
        var other = Amc.Torch.Checkpoint.Load(Checkpoint("other.amc", damage == "other-network" ? 8 : 4));
        using (var module = other.ToModule())
        {
            var trainer = TrainerOf(module);
            trainer.Run(0, null, _ => { });
            trainer.SaveOptimizer(optim);
        }
        var bytes = File.ReadAllBytes(optim);
        if (damage == "truncated") File.WriteAllBytes(optim, bytes[..(bytes.Length / 2)]);
        var before = File.ReadAllBytes(ck);

        var message = CliAssert.BadInput(CliRun.Amc("train", "--resume", "--out", ck, "--epochs", "2", "--data", data, "--heldout", "4"));
        Assert.Contains(optim, message);
        Assert.DoesNotContain("at Amc.", message);
        Assert.Equal(before, File.ReadAllBytes(ck));
    }

    [Fact]
    public void Cli_search_resume_refuses_a_damaged_state_on_one_line()
    {
        var data = TinyIdxData.Write(temp.File("data"), train: 40, test: 10, size: 12);
        var ck = Checkpoint("x.amc", 4);
        var outDir = temp.File("search");
        string[] search = ["search", "--checkpoint", ck, "--data", data, "--heldout", "8", "--episodes", "1", "--warmup", "0",
            "--no-baselines", "--confirm-top", "0", "--eval-engine", "torch", "--out", outDir];
        CliAssert.Ok(CliRun.Amc(search));
        var state = Path.Combine(outDir, "search-state.safetensors");
        CheckpointRobustnessTests.RewriteMetadata(state, "amc.search-state", json =>
        {
            var node = JsonNode.Parse(json)!.AsObject();
            node["ActorOptimizer"] = node["CriticOptimizer"]!.GetValue<string>();
            return node.ToJsonString();
        });

        var message = CliAssert.BadInput(CliRun.Amc([.. search, "--resume"]));
        Assert.Contains(state, message);
        Assert.Contains("another network", message);
        Assert.DoesNotContain("at Amc.", message);
    }

    [Fact]
    public void Cli_search_in_rounds_of_two_continues_only_with_its_own_rollouts_per_round()
    {
        var data = TinyIdxData.Write(temp.File("data"), train: 40, test: 10, size: 12);
        var ck = Checkpoint("x.amc", 4);
        var outDir = temp.File("search");
        string[] search = ["search", "--checkpoint", ck, "--data", data, "--heldout", "8", "--episodes", "3", "--warmup", "1",
            "--no-baselines", "--confirm-top", "0", "--eval-engine", "ort", "--out", outDir];
        CliAssert.Ok(CliRun.Amc([.. search, "--rollouts-per-round", "2"]));
        Assert.Equal(3, File.ReadAllLines(Path.Combine(outDir, "episodes.jsonl")).Length);
        Assert.Contains("\"RolloutsPerRound\": 2", File.ReadAllText(Path.Combine(outDir, "search-config.json")));

        var message = CliAssert.BadInput(CliRun.Amc([.. search, "--resume"]));
        Assert.Contains("other settings", message);
        CliAssert.Ok(CliRun.Amc([.. search, "--resume", "--rollouts-per-round", "2"]));
    }
}
