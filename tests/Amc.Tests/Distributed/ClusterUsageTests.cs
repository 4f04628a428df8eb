using Amc.Tests.Cli;
using Amc.Tests.Data;

namespace Amc.Tests.Distributed;

/// <summary>Bad cluster input gives one line and exit code 2, before any silo starts.</summary>
[Collection(TrainedModelCollection.Name)]
public class ClusterUsageTests(TrainedModel model)
{
    [Fact]
    public void Bad_cluster_configs_and_options_are_refused_in_one_line()
    {
        using var temp = new TempFolder();
        string missing = temp.File("missing.json"), weak = temp.File("weak.json"), redis = temp.File("redis.json"), good = temp.File("good.json");
        File.WriteAllText(weak, """{ "coordinator": "127.0.0.1:11111", "secret": "short" }""");
        File.WriteAllText(redis, """{ "clustering": "redis", "coordinator": "127.0.0.1:11111", "secret": "a-secret-long-enough" }""");
        File.WriteAllText(good, """{ "coordinator": "127.0.0.1:11111", "secret": "a-secret-long-enough" }""");

        Assert.Contains("no file", CliAssert.BadInput(CliRun.Amc("worker", "--cluster", missing, "--serve", temp.Path)));
        Assert.Contains("at least 16 characters", CliAssert.BadInput(CliRun.Amc("worker", "--cluster", weak, "--serve", temp.Path)));
        Assert.Contains("needs \"redis\"", CliAssert.BadInput(CliRun.Amc("worker", "--cluster", redis, "--serve", temp.Path)));
        Assert.Contains("no such file or folder", CliAssert.BadInput(CliRun.Amc("worker", "--cluster", good, "--serve", temp.File("nothing"))));
        Assert.Contains("not both", CliAssert.BadInput(CliRun.Amc("search", "--checkpoint", model.Checkpoint, "--data", model.Data,
            "--out", model.NewPath("s"), "--workers", "2", "--cluster", good)));
        Assert.Contains("--async scores on workers", CliAssert.BadInput(CliRun.Amc("search", "--checkpoint", model.Checkpoint, "--data", model.Data,
            "--out", model.NewPath("s"), "--async")));
    }
}
