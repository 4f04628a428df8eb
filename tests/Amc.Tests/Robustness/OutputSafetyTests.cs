using System.Diagnostics;
using Amc.Tests.Cli;
using Amc.Tests.Data;

namespace Amc.Tests.Robustness;

/// <summary>
/// What the commands do to files: temporaries of killed runs are removed by the next run.
/// </summary>
[Collection(TrainedModelCollection.Name)]
public class OutputSafetyTests(TrainedModel model)
{
    [Fact]
    public void Temporaries_of_killed_runs_are_removed_by_the_next_run_and_those_of_live_ones_kept()
    {
        using var temp = new TempFolder();
        int dead = DeadPid(), live = Environment.ProcessId;
        File.WriteAllText(temp.File($".e.onnx.{dead}.tmp"), "half an export");
        File.WriteAllText(temp.File($".e.onnx.{live}.tmp"), "an export in progress");

        CliAssert.Ok(CliRun.Amc("export", "--checkpoint", model.Checkpoint, "--onnx", temp.File("e.onnx")));

        Assert.Equal([$".e.onnx.{live}.tmp", "e.onnx"], Names(temp.Path));
    }

    static List<string> Names(string folder) =>
        Directory.EnumerateFileSystemEntries(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList()!;

    /// <summary>The id of a process that has ended (ids are not reused that quickly).</summary>
    static int DeadPid()
    {
        using var p = Process.Start(new ProcessStartInfo("dotnet", "--version") { RedirectStandardOutput = true })!;
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return p.Id;
    }
}
