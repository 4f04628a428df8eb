using System.Globalization;
using System.Text.RegularExpressions;

namespace Amc.Tests.Cli;

/// <summary>Bad input next to a good checkpoint: exit code 2, one line, and nothing the user had is lost.</summary>
[Collection(TrainedModelCollection.Name)]
public class CheckpointInputErrorTests(TrainedModel model)
{
    [Fact]
    public void Truncated_checkpoint()
    {
        var path = model.NewPath("truncated.amc");
        var bytes = File.ReadAllBytes(model.Checkpoint);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);

        var message = CliAssert.BadInput(CliRun.Amc("eval", "--checkpoint", path, "--data", model.Data));
        Assert.Contains("truncated.amc", message);
    }

    [Fact]
    public void Search_budget_below_the_smallest_network_names_the_smallest_feasible_one()
    {
        var outDir = model.NewPath("search");
        var message = CliAssert.BadInput(CliRun.Amc("search", "--checkpoint", model.Checkpoint, "--data", model.Data, "--target-macs", "0.01", "--out", outDir));

        var smallest = Regex.Match(message, @"smallest feasible target is ([0-9.]+)");
        Assert.True(smallest.Success, message);
        Assert.InRange(double.Parse(smallest.Groups[1].Value, CultureInfo.InvariantCulture), 0.011, 1.0);
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public void Search_resume_without_a_saved_search()
    {
        var message = CliAssert.BadInput(CliRun.Amc("search", "--checkpoint", model.Checkpoint, "--data", model.Data, "--resume", "--out", model.NewPath("search")));
        Assert.Contains("--resume", message);
    }

    [Fact]
    public void Search_out_that_is_a_file()
    {
        var file = model.NewPath("results");
        File.WriteAllText(file, "keep me");
        var message = CliAssert.BadInput(CliRun.Amc("search", "--checkpoint", model.Checkpoint, "--data", model.Data, "--out", file));
        Assert.Contains("--out", message);
        Assert.Equal("keep me", File.ReadAllText(file));
    }

    [Fact]
    public void Train_resume_on_data_of_another_shape()
    {
        var path = model.NewPath("x.amc");
        File.Copy(model.Checkpoint, path);
        File.Copy(model.Checkpoint + ".optim", path + ".optim");
        var before = File.ReadAllBytes(path);
        var other = TinyIdxData.Write(model.NewPath("data20"), train: 50, test: 10, size: 20);

        var message = CliAssert.BadInput(CliRun.Amc("train", "--resume", "--out", path, "--epochs", "1", "--data", other));
        Assert.Contains("1x28x28", message);
        Assert.Equal(before, File.ReadAllBytes(path));
    }

    [Theory]
    [InlineData("""{"groups": [{"name": "no-such-group", "keep": 0.5}]}""", "no-such-group")]
    [InlineData("not json\nat all\n", "policy")]
    public void Failing_prune_leaves_an_existing_output_untouched(string policy, string expected)
    {
        var policyPath = model.NewPath("policy.json");
        File.WriteAllText(policyPath, policy);
        var output = model.NewPath("y.amc");
        byte[] precious = [1, 2, 3, 4, 5];
        File.WriteAllBytes(output, precious);

        var message = CliAssert.BadInput(CliRun.Amc("prune", "--checkpoint", model.Checkpoint, "--data", model.Data, "--policy", policyPath, "--out", output));
        Assert.Contains(expected, message);
        Assert.Equal(precious, File.ReadAllBytes(output));
        // Nothing else written next to it: no policy file, no temporary file.
        Assert.Equal([output], Directory.GetFiles(Path.GetDirectoryName(output)!));
    }
}
