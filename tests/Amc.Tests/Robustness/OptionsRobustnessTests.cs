using System.CommandLine;
using Amc.Cli;
using Amc.Cli.Commands;
using Amc.Tests.Cli;
using Amc.Tests.Data;

namespace Amc.Tests.Robustness;

/// <summary>
/// Numeric options are checked when the command line is parsed: NaN, infinities and values
/// outside their range stop the command before it reads a file, with the option's name and range.
/// Before, NaN learning rates trained on, zero warm-up repeats and negative ridges ran, and
/// --width NaN built a one-channel network.
/// </summary>
public class OptionsRobustnessTests
{
    static readonly Dictionary<string, Func<Command>> Commands = new()
    {
        ["train"] = TrainCommand.Create, ["finetune"] = FinetuneCommand.Create, ["prune"] = PruneCommand.Create,
        ["search"] = SearchCommand.Create, ["bench"] = BenchCommand.Create, ["latency-table"] = LatencyTableCommand.Create,
        ["profile"] = ProfileCommand.Create, ["import"] = ImportCommand.Create, ["eval"] = EvalCommand.Create,
        ["demo"] = DemoCommand.Create, ["compress"] = CompressCommand.Create,
    };

    /// <summary>The parse errors of one command line, as the CLI joins them into its error line.</summary>
    static string Errors(string command, params string[] args)
    {
        var root = new RootCommand { CommonOptions.Threads };
        root.Subcommands.Add(Commands[command]());
        var result = root.Parse([command, .. args]);
        return string.Join("; ", result.Errors.Select(e => e.Message));
    }

    [Theory]
    // train and finetune
    [InlineData("train", "--lr", "NaN", "--lr must be a finite number > 0, got NaN")]
    [InlineData("train", "--lr", "Infinity", "--lr must be a finite number > 0, got Infinity")]
    [InlineData("train", "--lr", "0", "--lr must be a finite number > 0, got 0")]
    [InlineData("train", "--weight-decay", "-0.1", "--weight-decay must be a finite number >= 0")]
    [InlineData("train", "--weight-decay", "NaN", "--weight-decay must be a finite number >= 0")]
    [InlineData("train", "--width", "NaN", "--width must be in (0, 100], got NaN")]
    [InlineData("train", "--width", "1e9", "--width must be in (0, 100]")]
    [InlineData("train", "--width", "0", "--width must be in (0, 100]")]
    [InlineData("train", "--epochs", "0", "--epochs must be at least 1, got 0")]
    [InlineData("train", "--batch-size", "-4", "--batch-size must be at least 1")]
    [InlineData("train", "--heldout", "0", "--heldout must be at least 1")]
    [InlineData("train", "--max-memory", "0", "--max-memory must be a finite number > 0, got 0")]
    [InlineData("finetune", "--max-memory", "NaN", "--max-memory must be a finite number > 0, got NaN")]
    [InlineData("finetune", "--lr", "-1", "--lr must be a finite number > 0")]
    [InlineData("finetune", "--train-images", "0", "--train-images must be at least 1")]
    [InlineData("finetune", "--epochs", "-1", "--epochs must be at least 1")]
    // prune and search
    [InlineData("prune", "--uniform", "0", "--uniform must be in (0, 1], got 0")]
    [InlineData("prune", "--uniform", "NaN", "--uniform must be in (0, 1]")]
    [InlineData("prune", "--sparsity", "1", "--sparsity must be in [0, 1), got 1")]
    [InlineData("prune", "--ridge", "-1e-4", "--ridge must be a finite number >= 0")]
    [InlineData("prune", "--ridge", "Infinity", "--ridge must be a finite number >= 0")]
    [InlineData("prune", "--round", "0", "--round must be at least 1")]
    [InlineData("prune", "--calibration-images", "0", "--calibration-images must be at least 1")]
    [InlineData("prune", "--bn-images", "-5", "--bn-images must be at least 1")]
    [InlineData("search", "--target-macs", "1.5", "--target-macs must be in (0, 1], got 1.5")]
    [InlineData("search", "--target-params", "NaN", "--target-params must be in (0, 1]")]
    [InlineData("search", "--target-latency", "-0.5", "--target-latency must be in (0, 1]")]
    [InlineData("search", "--lbound", "0", "--lbound must be in (0, 1]")]
    [InlineData("search", "--rbound", "Infinity", "--rbound must be in (0, 1]")]
    [InlineData("search", "--episodes", "0", "--episodes must be at least 1")]
    [InlineData("search", "--warmup", "-1", "--warmup must be at least 0")]
    [InlineData("search", "--latency-threads", "0", "--latency-threads must be between 1 and 1024")]
    [InlineData("search", "--confirm-top", "-1", "--confirm-top must be at least 0")]
    [InlineData("search", "--rollouts-per-round", "0", "--rollouts-per-round must be between 1 and 64, got 0")]
    [InlineData("search", "--rollouts-per-round", "65", "--rollouts-per-round must be between 1 and 64")]
    // bench, latency-table, profile, import, demo
    [InlineData("bench", "--batch", "0", "--batch must be at least 1")]
    [InlineData("bench", "--repeats", "0", "--repeats must be at least 1")]
    [InlineData("bench", "--warmup", "-1", "--warmup must be at least 0")]
    [InlineData("latency-table", "--lbound", "NaN", "--lbound must be in (0, 1]")]
    [InlineData("latency-table", "--max-values", "1", "--max-values must be at least 2")]
    [InlineData("latency-table", "--repeats", "0", "--repeats must be at least 1")]
    [InlineData("profile", "--classes", "0", "--classes must be at least 1")]
    [InlineData("profile", "--width", "-Infinity", "--width must be in (0, 100]")]
    [InlineData("import", "--classes", "-1", "--classes must be at least 1")]
    [InlineData("import", "--width", "NaN", "--width must be in (0, 100]")]
    [InlineData("demo", "--episodes", "0", "--episodes must be at least 1")]
    [InlineData("demo", "--score-images", "0", "--score-images must be at least 1")]
    [InlineData("demo", "--finetune-images", "0", "--finetune-images must be at least 1")]
    [InlineData("compress", "--target-latency", "0", "--target-latency must be in (0, 1]")]
    [InlineData("compress", "--target-latency", "1.5", "--target-latency must be in (0, 1]")]
    [InlineData("compress", "--finetune-epochs", "0", "--finetune-epochs must be at least 1")]
    [InlineData("compress", "--finetune-lr", "NaN", "--finetune-lr must be a finite number > 0, got NaN")]
    [InlineData("eval", "--threads", "0", "--threads must be between 1 and 1024, got 0")]
    [InlineData("eval", "--threads", "100000", "--threads must be between 1 and 1024")]
    public void Out_of_range_values_are_refused_at_parse_time_with_the_option_and_range(string command, string option, string value, string expected) =>
        Assert.Contains(expected, Errors(command, option, value));

    [Fact]
    public void Every_bad_value_in_a_list_option_is_caught()
    {
        Assert.Contains("--mean must be a finite number, got NaN", Errors("import", "--mean", "0.5", "NaN", "0.4"));
        Assert.Contains("--std must be a finite number > 0, got 0", Errors("import", "--std", "0.2", "0", "0.2"));
    }

    [Theory]
    [InlineData("train", "--lr", "0.05")]
    [InlineData("train", "--weight-decay", "0")]
    [InlineData("train", "--width", "0.25")]
    [InlineData("prune", "--uniform", "1")]
    [InlineData("prune", "--sparsity", "0")]
    [InlineData("prune", "--ridge", "0")]
    [InlineData("search", "--warmup", "0")]
    [InlineData("search", "--target-macs", "0.3")]
    [InlineData("search", "--rollouts-per-round", "64")]
    [InlineData("bench", "--warmup", "0")]
    [InlineData("import", "--mean", "-0.5")]
    public void Values_in_range_pass(string command, string option, string value) =>
        Assert.DoesNotContain(option, Errors(command, option, value));

    [Fact]
    public void Text_that_is_no_number_keeps_the_parser_message()
    {
        // The range check must not crash on a value the parser could not convert.
        var errors = Errors("train", "--lr", "fast", "--epochs", "many");
        Assert.Contains("'fast'", errors);
        Assert.Contains("'many'", errors);
        Assert.DoesNotContain("must be", errors);
    }

    [Fact]
    public void Ranges_describe_themselves()
    {
        Assert.Equal("--x must be at least 2, got 1", OptionRange.AtLeast(2).Refusal("--x", 1, integer: true));
        Assert.Equal("--x must be between 1 and 1024, got 0", OptionRange.Between(1, 1024).Refusal("--x", 0, integer: true));
        Assert.Equal("--x must be in (0, 1], got NaN", OptionRange.Fraction.Refusal("--x", double.NaN, integer: false));
        Assert.False(OptionRange.Positive.Contains(double.PositiveInfinity));
        Assert.False(OptionRange.Finite.Contains(double.NegativeInfinity));
        Assert.True(OptionRange.NonNegative.Contains(0));
    }

    [Fact]
    public void A_nan_learning_rate_exits_2_before_reading_data()
    {
        using var temp = new TempFolder();
        // The data folder does not exist: a range check that came after loading would name it instead.
        var message = CliAssert.BadInput(CliRun.Amc("train", "--lr", "NaN", "--data", temp.File("absent"), "--out", temp.File("x.amc")));
        Assert.Contains("--lr", message);
        Assert.Contains("> 0", message);
        Assert.False(File.Exists(temp.File("x.amc")));
    }

    [Fact]
    public void A_width_past_the_range_exits_2_naming_the_option() =>
        Assert.Contains("--width must be in (0, 100]", CliAssert.BadInput(CliRun.Amc("profile", "--model", "resnet20", "--width", "1e9")));
}
