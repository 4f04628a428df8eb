using Amc.Cli;
using Amc.Tests.Cli;
using Amc.Tests.Data;

namespace Amc.Tests.Robustness;

/// <summary>
/// --config files of every shape YAML allows but a config does not (structures as keys, nested
/// lists, mappings as values, anchors and aliases, several documents) are refused as a
/// UsageException naming the file; --config=FILE is read, a second --config refused.
/// </summary>
public sealed class ConfigRobustnessTests : IDisposable
{
    readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    string Write(string text, string name = "exp.yaml")
    {
        var path = temp.File(name);
        File.WriteAllText(path, text);
        return path;
    }

    static UsageException Refused(params string[] args) => Assert.Throws<UsageException>(() => ConfigFile.Expand(args));

    [Theory]
    [InlineData("? [a, b]\n: 1\n", "has a key that is not an option name (line 1)")]
    [InlineData("? {a: 1}\n: 2\n", "has a key that is not an option name")]
    [InlineData("~: 1\n", "has a key that is not an option name")]
    [InlineData("episodes: [[1, 2]]\n", "value of 'episodes' must be a value or a list of values; nested lists")]
    [InlineData("mean: [0.1, {a: 1}]\n", "value of 'mean' must be a value or a list of values")]
    [InlineData("episodes: {a: 1}\n", "value of 'episodes' must be a value or a list, not a mapping")]
    [InlineData("options: {episodes: {a: 1}}\n", "value of 'episodes' must be a value or a list, not a mapping")]
    [InlineData("a: &x 5\nb: *x\n", "uses a YAML anchor or alias (line 1)")]
    [InlineData("a: [1]\nb: *x\n", "uses a YAML anchor or alias (line 2)")] // an alias without its anchor
    [InlineData("? &k [*k]\n: 1\n", "uses a YAML anchor or alias")] // a key holding itself
    [InlineData("base: &b {episodes: 4}\nsearch:\n  <<: *b\n", "uses a YAML anchor or alias")]
    [InlineData("episodes: 1\nepisodes: 2\n", "gives 'episodes' twice (line 2)")]
    [InlineData("episodes: 1\n---\nepisodes: 2\n", "holds more than one YAML document")]
    [InlineData("- episodes\n- 4\n", "must be a mapping of option names to values")]
    [InlineData("just text\n", "must be a mapping of option names to values")]
    [InlineData("a: [[[[[[[[1]]]]]]]]\n", "nests too deeply")]
    [InlineData("a: [1, 2\n", "is not valid YAML or JSON")]
    [InlineData("{\"a\": 1,,}", "is not valid YAML or JSON")]
    [InlineData("options: {a: 1~ \n# c\nlist:\n  - a\n", "is not valid YAML or JSON")] // YamlDotNet throws InvalidOperationException here
    public void Malformed_config_names_the_file_and_the_problem(string text, string expected)
    {
        var path = Write(text);
        var e = Refused("search", "--config", path);
        Assert.StartsWith($"--config: {path} ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Deep_nesting_is_refused_without_recursing()
    {
        var path = Write("a: " + new string('[', 100_000) + new string(']', 100_000) + "\n");
        Assert.Contains(path, Refused("search", "--config", path).Message);
    }

    [Fact]
    public void Plain_config_expands_before_the_typed_flags()
    {
        var path = Write("episodes: 400\nmean: [0.1, 0.2]\ntop5: true\nno-baselines: false\nwarmup: ~\n# a comment\n");
        Assert.Equal(["search", "--episodes", "400", "--mean", "0.1", "0.2", "--top5", "--out", "x"],
            ConfigFile.Expand(["search", "--config", path, "--out", "x"]));
    }

    [Fact]
    public void Saved_resolved_config_expands()
    {
        var path = Write("""{"command": "search", "options": {"config": null, "episodes": 4, "json": false, "mean": [0.5]}}""", "config.json");
        Assert.Equal(["search", "--episodes", "4", "--mean", "0.5"], ConfigFile.Expand(["search", "--config", path]));
    }

    [Fact]
    public void Typed_flags_win_in_every_form()
    {
        var path = Write("episodes: 400\nwarmup: 10\n");
        Assert.Equal(["search", "--warmup", "10", "--episodes=3"], ConfigFile.Expand(["search", "--config", path, "--episodes=3"]));
    }

    [Theory]
    [InlineData("--config={0}")]
    [InlineData("--config:{0}")]
    public void Config_attached_with_equals_or_colon_is_read(string form)
    {
        var path = Write("episodes: 400\n");
        Assert.Equal(["search", "--episodes", "400"], ConfigFile.Expand(["search", string.Format(form, path)]));
        var bad = Write("episodes: [[1]]\n", "bad.yaml");
        Assert.Contains(bad, Refused("search", string.Format(form, bad)).Message);
    }

    [Fact]
    public void Config_given_twice_is_refused()
    {
        var a = Write("episodes: 1\n", "a.yaml");
        var b = Write("episodes: 2\n", "b.yaml");
        Assert.Contains("--config is given 2 times", Refused("search", "--config", a, "--config", b).Message);
        Assert.Contains("--config is given 2 times", Refused("search", "--config", a, $"--config={b}").Message);
    }

    [Fact]
    public void Config_without_a_file()
    {
        Assert.Contains("needs a file", Refused("search", "--config").Message);
        Assert.Contains("needs a file", Refused("search", "--config=").Message);
        Assert.Contains("needs a file", Refused("search", "--config", "--", "x.yaml").Message);
        Assert.Contains("not found", Refused("search", "--config", temp.File("missing.yaml")).Message);
    }

    [Fact]
    public void Config_after_double_dash_is_an_argument() =>
        Assert.Equal(["search", "--", "--config", "x"], ConfigFile.Expand(["search", "--", "--config", "x"]));

    [Fact]
    public void Empty_file_adds_nothing() =>
        Assert.Equal(["search"], ConfigFile.Expand(["search", "--config", Write("# nothing yet\n")]));

    // What the user sees.

    [Theory]
    [InlineData("self-key", "? &k [*k]\n: 1\n")]
    [InlineData("mapping-key", "? {a: 1}\n: 2\n")]
    [InlineData("nested", "model: [[resnet20]]\n")]
    public void Cli_refuses_a_malformed_config_on_one_line(string name, string text)
    {
        var path = Write(text, name + ".yaml");
        var message = CliAssert.BadInput(CliRun.Amc("profile", "--config", path));
        Assert.Contains(path, message);
        Assert.DoesNotContain("at Amc.", message);
    }

    [Fact]
    public void Cli_reads_config_equals_file_and_refuses_two()
    {
        var path = Write("model: resnet20\ninput: 1x28x28\n");
        var r = CliRun.Amc("profile", $"--config={path}", "--json");
        CliAssert.Ok(r);
        Assert.Contains("\"input\": \"1x28x28\"", r.Stdout);

        var message = CliAssert.BadInput(CliRun.Amc("profile", "--config", path, $"--config={path}"));
        Assert.Contains("given 2 times", message);
    }

    [Fact]
    public void Cli_refuses_config_inside_a_response_file()
    {
        var path = Write("model: resnet20\n");
        var rsp = Write($"--config\n{path}\n", "args.rsp");
        var message = CliAssert.BadInput(CliRun.Amc("profile", "@" + rsp));
        Assert.Contains("response file", message);
    }
}
