using Amc.Graph;
using Amc.Models;
using Amc.Pruning;
using Amc.Tests.Cli;
using Amc.Tests.Data;
using Amc.Onnx;
using Amc.Torch;

namespace Amc.Tests.Robustness;

/// <summary>One valid file of every input kind the fuzz test mutates, built once: a tiny checkpoint, its ONNX export, IDX data, a policy and a config.</summary>
public sealed class FuzzSeeds : IDisposable
{
    readonly TempFolder temp = new();

    public string Checkpoint { get; }
    public string Onnx { get; }
    public string Data { get; }
    public string Policy { get; }
    public string Config { get; }

    public FuzzSeeds()
    {
        // Thousands of in-process runs would each print their tables; only exit codes and stderr matter here.
        Spectre.Console.AnsiConsole.Console = Spectre.Console.AnsiConsole.Create(new Spectre.Console.AnsiConsoleSettings { Out = new Spectre.Console.AnsiConsoleOutput(TextWriter.Null) });
        var net = ModelZoo.Build("resnet20", new ModelOptions(new TensorShape(1, 28, 28), 10, WidthMultiplier: 0.25));
        using var module = TestNetworks.Randomized(net, seed: 5);
        var ck = Amc.Torch.Checkpoint.From(module, new CheckpointInfo { Model = "resnet20", Dataset = "tiny", Mean = [0.3f], Std = [0.2f], Seed = 5 });
        Checkpoint = temp.File("seed.amc");
        ck.Save(Checkpoint);
        Onnx = temp.File("seed.onnx");
        OnnxExporter.Save(Onnx, ck.Network, ck.Weights);
        Data = TinyIdxData.Write(temp.File("data"), train: 60, test: 20);
        Policy = temp.File("policy.json");
        PruningPolicy.Uniform(ChannelGraph.Build(net), 0.5, "resnet20").Save(Policy);
        Config = temp.File("config.yaml");
        File.WriteAllText(Config, "model: resnet20\ninput: 1x28x28\nwidth: 0.25\nclasses: 10\nseed: 3\n");
    }

    public string NewCase(string name) => temp.Folder("cases", name);

    public void Dispose() => temp.Dispose();
}
