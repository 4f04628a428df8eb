using System.Buffers.Binary;
using Amc.Tests.Data;

namespace Amc.Tests.Cli;

/// <summary>Mistakes a user makes: each ends with exit code 2 and one line saying what is wrong.</summary>
public class UsageErrorTests
{
    [Fact]
    public void Unknown_model()
    {
        Assert.Contains("'nope'", CliAssert.BadInput(CliRun.Amc("profile", "--model", "nope")));
        using var temp = new TempFolder();
        Assert.Contains("'nope'", CliAssert.BadInput(CliRun.Amc("train", "--model", "nope", "--out", temp.File("x.amc"))));
        Assert.False(File.Exists(temp.File("x.amc")));
    }

    [Fact]
    public void Input_shape_that_is_not_CxHxW() =>
        Assert.Contains("3x32", CliAssert.BadInput(CliRun.Amc("profile", "--model", "resnet20", "--input", "3x32")));

    [Fact]
    public void Unknown_option() =>
        Assert.Contains("--bogus", CliAssert.BadInput(CliRun.Amc("profile", "--model", "resnet20", "--bogus")));

    [Fact]
    public void Missing_required_option() =>
        Assert.Contains("--out", CliAssert.BadInput(CliRun.Amc("train", "--model", "resnet20")));

    [Theory]
    [InlineData("train")]
    [InlineData("eval")]
    [InlineData("profile")]
    [InlineData("prune")]
    [InlineData("search")]
    [InlineData("finetune")]
    [InlineData("export")]
    [InlineData("import")]
    [InlineData("bench")]
    [InlineData("latency-table")]
    [InlineData("demo")]
    [InlineData("compress")]
    [InlineData("quantize")]
    public void Help_of_every_command(string command)
    {
        // Asking for help must not need the options help describes (it once crashed on a missing --out).
        var r = CliRun.Amc(command, "--help");
        Assert.True(r.ExitCode == 0 && r.Stderr.Length == 0, r.ToString());
        Assert.Contains($"{command} [options]", r.Stdout);
    }

    [Fact]
    public void Negative_confirm_top_is_refused_before_any_work()
    {
        using var temp = new TempFolder();
        var outDir = temp.File("search");
        Assert.Contains("--confirm-top", CliAssert.BadInput(CliRun.Amc("search", "--checkpoint", temp.File("none.amc"), "--out", outDir, "--confirm-top", "-1")));
        Assert.False(Directory.Exists(outDir));
    }

    [Theory]
    [InlineData("--sigma-decay", "1.5")]
    [InlineData("--final-sigma", "0")]
    [InlineData("--actor-lr", "0")]
    public void Bad_noise_or_learning_rate_is_refused_before_any_work(string option, string value)
    {
        using var temp = new TempFolder();
        var outDir = temp.File("search");
        Assert.Contains(option, CliAssert.BadInput(CliRun.Amc("search", "--checkpoint", temp.File("none.amc"), "--out", outDir, option, value)));
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public void Sigma_decay_and_final_sigma_together_are_refused()
    {
        using var temp = new TempFolder();
        Assert.Contains("not both", CliAssert.BadInput(CliRun.Amc("search", "--checkpoint", temp.File("none.amc"), "--out", temp.File("s"),
            "--sigma-decay", "0.9", "--final-sigma", "0.05")));
    }

    [Fact]
    public void Checkpoint_that_does_not_exist()
    {
        using var temp = new TempFolder();
        Assert.Contains("missing.amc", CliAssert.BadInput(CliRun.Amc("eval", "--checkpoint", temp.File("missing.amc"))));
    }

    [Fact]
    public void Data_folder_of_random_files()
    {
        using var temp = new TempFolder();
        var junk = temp.Folder("junk");
        var rng = new Random(3);
        foreach (var name in new[] { "a.bin", "b", "notes.txt" })
        {
            var bytes = new byte[rng.Next(10, 5000)];
            rng.NextBytes(bytes);
            File.WriteAllBytes(Path.Combine(junk, name), bytes);
        }
        Assert.Contains("junk", CliAssert.BadInput(CliRun.Amc("train", "--data", junk, "--out", temp.File("x.amc"))));
        Assert.False(File.Exists(temp.File("x.amc")));
    }

    [Fact]
    public void Idx_images_file_with_a_wrong_magic_number()
    {
        using var temp = new TempFolder();
        var data = TinyIdxData.Write(temp.File("data"), train: 20, test: 10);
        var images = Path.Combine(data, "train-images-idx3-ubyte");
        var bytes = File.ReadAllBytes(images);
        BinaryPrimitives.WriteInt32BigEndian(bytes, 0x00000899);
        File.WriteAllBytes(images, bytes);

        var message = CliAssert.BadInput(CliRun.Amc("train", "--data", data, "--out", temp.File("x.amc")));
        Assert.Contains("train-images-idx3-ubyte", message);
        Assert.Contains("magic", message);
    }

    [Fact]
    public void Prune_with_both_a_uniform_ratio_and_a_policy()
    {
        using var temp = new TempFolder();
        var message = CliAssert.BadInput(CliRun.Amc("prune", "--checkpoint", temp.File("x.amc"), "--uniform", "0.5", "--policy", temp.File("p.json"), "--out", temp.File("y.amc")));
        Assert.Contains("--uniform", message);
        Assert.Contains("--policy", message);
    }

    [Fact]
    public void Train_resume_without_a_checkpoint()
    {
        using var temp = new TempFolder();
        Assert.Contains("--resume", CliAssert.BadInput(CliRun.Amc("train", "--resume", "--out", temp.File("x.amc"))));
    }

    [Fact]
    public void Held_out_size_outside_the_training_set()
    {
        using var temp = new TempFolder();
        var data = TinyIdxData.Write(temp.File("data"), train: 20, test: 10);
        foreach (var heldOut in new[] { "0", "20" })
            Assert.Contains("--heldout", CliAssert.BadInput(CliRun.Amc("train", "--data", data, "--heldout", heldOut, "--out", temp.File("x.amc"))));
        // Too few images for the default (10 %) held-out split: the message says how to set it.
        var tiny = TinyIdxData.Write(temp.File("tiny"), train: 8, test: 4);
        Assert.Contains("--heldout", CliAssert.BadInput(CliRun.Amc("train", "--data", tiny, "--out", temp.File("x.amc"))));
    }
}
