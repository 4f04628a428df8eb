using Amc.Graph;
using Amc.Models;
using Amc.Pruning;
using Amc.Tests.Cli;
using Amc.Tests.Data;
using Amc.Torch;

namespace Amc.Tests.Robustness;

/// <summary>
/// Policy files with nulls, wrong types, duplicate keys or widths out of range: refused as a
/// PolicyException naming the file, and on the command line as one line with exit code 2.
/// </summary>
public sealed class PolicyRobustnessTests : IDisposable
{
    static readonly ChannelGraph Graph = ChannelGraph.Build(ModelZoo.Build("resnet20", new ModelOptions(new TensorShape(3, 32, 32))));

    readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    string Write(string json, string name = "policy.json")
    {
        var path = temp.File(name);
        File.WriteAllText(path, json);
        return path;
    }

    [Theory]
    [InlineData("""{"groups": null}""", "not a valid policy")]
    [InlineData("""{"groups": [null]}""", "groups[0] is null")]
    [InlineData("""{"groups": [{"name": "conv1", "keep": 0.5}, null]}""", "groups[1] is null")]
    [InlineData("""{}""", "not a valid policy")]
    [InlineData("""{"groups": "all"}""", "not a valid policy")]
    [InlineData("""{"groups": [{"name": null, "keep": 0.5}]}""", "not a valid policy")]
    [InlineData("""{"groups": [{"keep": 0.5}]}""", "not a valid policy")]
    [InlineData("""{"groups": [{"name": 5, "keep": 0.5}]}""", "not a valid policy")]
    [InlineData("""{"groups": [{"name": "conv1", "keep": "half"}]}""", "not a valid policy")]
    [InlineData("""{"groups": [{"name": "conv1", "keep": "NaN"}]}""", "not a valid policy")]
    [InlineData("""{"groups": [{"name": "conv1", "channels": 1.5}]}""", "not a valid policy")]
    [InlineData("""{"groups": [{"name": "conv1", "channels": 1e12}]}""", "not a valid policy")]
    [InlineData("""{"groups": [], "groups": [{"name": "conv1", "keep": 0.5}]}""", "not a valid policy")]
    [InlineData("""{"groups": [{"name": "conv1", "keep": 0.5, "keep": 1}]}""", "not a valid policy")]
    [InlineData("""{"groups": [], "round": 0}""", "round must be at least 1 (1 = no rounding), got 0")]
    [InlineData("""{"groups": [], "round": -8}""", "round must be at least 1")]
    [InlineData("""[{"name": "conv1", "keep": 0.5}]""", "not a valid policy")]
    [InlineData("""null""", "empty policy")]
    [InlineData("", "not a valid policy")]
    public void Malformed_policy_file_names_the_file_and_the_problem(string json, string expected)
    {
        var path = Write(json);
        var e = Assert.Throws<PolicyException>(() => PruningPolicy.Load(path));
        Assert.StartsWith(path + ": ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData("""{"name": "conv1", "channels": 0}""", "group 'conv1': channels must be 1..16, got 0")]
    [InlineData("""{"name": "conv1", "channels": -3}""", "channels must be 1..16, got -3")]
    [InlineData("""{"name": "conv1", "channels": 17}""", "channels must be 1..16, got 17")]
    [InlineData("""{"name": "conv1", "keep": 0}""", "keep must be in (0, 1], got 0")]
    [InlineData("""{"name": "conv1", "keep": -0.5}""", "keep must be in (0, 1], got -0.5")]
    [InlineData("""{"name": "conv1", "keep": 1.5}""", "keep must be in (0, 1], got 1.5")]
    [InlineData("""{"name": "conv1", "keep": 1e400}""", "keep must be in (0, 1]")] // parses as infinity
    [InlineData("""{"name": "conv1", "keep": null, "channels": null}""", "has neither 'keep' nor 'channels'")]
    [InlineData("""{"name": "conv1", "keep": 0.5, "of": -16}""", "has -16 channels, the network has 16")]
    [InlineData("""{"name": "nope", "keep": 0.5}""", "policy names group 'nope'")]
    public void Width_out_of_range_or_unknown_group(string group, string expected)
    {
        var policy = PruningPolicy.Load(Write($$"""{"groups": [{{group}}]}"""));
        var e = Assert.Throws<PolicyException>(() => policy.Resolve(Graph, 8));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Nan_keep_is_refused()
    {
        var policy = new PruningPolicy { Groups = [new GroupDecision { Name = "conv1", Keep = double.NaN }] };
        Assert.Contains("keep must be in (0, 1], got NaN", Assert.Throws<PolicyException>(() => policy.Resolve(Graph, 8)).Message);
    }

    /// <summary>An untrained checkpoint: prune reads the policy before it opens any data.</summary>
    string Checkpoint()
    {
        var net = ModelZoo.Build("resnet20", new ModelOptions(new TensorShape(1, 28, 28), 10, 0.25));
        using var module = new GraphModule(net);
        var path = temp.File("x.amc");
        Amc.Torch.Checkpoint.From(module, new CheckpointInfo { Model = "resnet20" }).Save(path);
        return path;
    }

    [Theory]
    [InlineData("""{"groups": [null]}""", "groups[0] is null")]
    [InlineData("""{"groups": [{"name": "conv1", "channels": 0}]}""", "channels must be")]
    public void Cli_refuses_a_malformed_policy_on_one_line(string json, string expected)
    {
        var policy = Write(json);
        var output = temp.File("pruned.amc");
        var message = CliAssert.BadInput(CliRun.Amc("prune", "--checkpoint", Checkpoint(), "--policy", policy, "--out", output));
        Assert.Contains(policy, message);
        Assert.Contains(expected, message);
        Assert.DoesNotContain("at Amc.", message);
        Assert.False(File.Exists(output));
    }
}
