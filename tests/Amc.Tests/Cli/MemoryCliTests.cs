using System.Globalization;
using System.Text.Json;
using Amc.Graph;
using Amc.Models;
using Amc.Sessions;
using Amc.Tests.Data;

namespace Amc.Tests.Cli;

/// <summary>
/// The memory budget of train (--max-memory) as a user meets it: the default batch lowered with
/// a note on stderr, a given batch refused with exit code 2 and the batch to use; and `amc eval`
/// scoring the same on either engine.
/// </summary>
[Collection(TrainedModelCollection.Name)]
public class MemoryCliTests(TrainedModel model)
{
    static readonly Network Net = ModelZoo.Build("resnet20", new ModelOptions(new TensorShape(1, 28, 28), 10, 0.25));

    /// <summary>A budget, in GB as --max-memory takes it, that fits batch 32 but not 64.</summary>
    static string BudgetFor32()
    {
        long fits = TrainingMemory.Estimate(Net, 32).Total, over = TrainingMemory.Estimate(Net, 64).Total;
        Assert.True(fits < over);
        return ((fits + over) / 2 / (double)(1L << 30)).ToString("R", CultureInfo.InvariantCulture);
    }

    [Fact]
    public void Train_lowers_the_default_batch_to_fit_the_budget_and_says_so()
    {
        using var temp = new TempFolder();
        var data = TinyIdxData.Write(temp.File("data"), train: 80, test: 10);
        var r = CliRun.Amc("train", "--model", "resnet20", "--width", "0.25", "--data", data, "--heldout", "8", "--epochs", "1",
            "--max-memory", BudgetFor32(), "--out", temp.File("x.amc"), "--json");

        CliAssert.Ok(r);
        Assert.Contains("--batch-size 32: the default 128 would need about ", r.Stderr);
        Assert.True(File.Exists(temp.File("x.amc")));
    }

    [Fact]
    public void Train_refuses_a_given_batch_over_the_budget_with_the_batch_to_use()
    {
        using var temp = new TempFolder();
        var data = TinyIdxData.Write(temp.File("data"), train: 80, test: 10);
        var r = CliRun.Amc("train", "--model", "resnet20", "--width", "0.25", "--data", data, "--heldout", "8", "--epochs", "1",
            "--batch-size", "64", "--max-memory", BudgetFor32(), "--out", temp.File("x.amc"));

        var message = CliAssert.BadInput(r);
        Assert.StartsWith("error: training resnet20 at batch 64 needs about ", message);
        Assert.Contains("--max-memory allows ", message);
        Assert.EndsWith("use --batch-size 32 or smaller", message);
        Assert.False(File.Exists(temp.File("x.amc")));
    }

    [Fact]
    public void Eval_gives_the_same_scores_on_either_engine()
    {
        JsonElement Eval(string engine, string split)
        {
            var r = CliRun.Amc("eval", "--checkpoint", model.Checkpoint, "--data", model.Data, "--engine", engine, "--split", split, "--json");
            CliAssert.Ok(r);
            return JsonDocument.Parse(r.Stdout).RootElement;
        }
        foreach (var split in new[] { "test", "heldout" })
        {
            JsonElement ort = Eval("ort", split), torch = Eval("torch", split);
            Assert.Equal(torch.GetProperty("images").GetInt32(), ort.GetProperty("images").GetInt32());
            Assert.Equal(torch.GetProperty("top1").GetDouble(), ort.GetProperty("top1").GetDouble());
            Assert.Equal(torch.GetProperty("top5").GetDouble(), ort.GetProperty("top5").GetDouble());
            Assert.Equal(torch.GetProperty("loss").GetDouble(), ort.GetProperty("loss").GetDouble(), 4);
        }
    }
}
