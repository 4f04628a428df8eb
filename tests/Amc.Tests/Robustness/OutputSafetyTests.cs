using System.Diagnostics;
using Amc.Tests.Cli;
using Amc.Tests.Data;

namespace Amc.Tests.Robustness;

/// <summary>
/// What the commands do to files: an output that is an input is refused before anything is
/// written; a run that fails leaves no output behind and a file it would have replaced as it was;
/// temporaries of killed runs are removed by the next run; two searches never share a folder.
/// </summary>
[Collection(TrainedModelCollection.Name)]
public class OutputSafetyTests(TrainedModel model)
{
    /// <summary>Args with {ck} (a copy of the trained checkpoint, a.amc), {data} and {dir} (the folder both live in) replaced.</summary>
    [Theory]
    [InlineData("--onnx", "--checkpoint", "export --checkpoint {ck} --onnx {ck}")]
    [InlineData("--onnx", "--checkpoint", "export --checkpoint {ck} --onnx {dir}/sub/../a.amc")]
    [InlineData("--safetensors", "--checkpoint", "export --checkpoint {dir}/w.json --safetensors {dir}/w.safetensors")]
    [InlineData("--out", "--onnx", "import --onnx {dir}/m.onnx --out {dir}/m.onnx")]
    [InlineData("--out", "--weights", "import --weights {ck} --model resnet20 --out {ck}")]
    [InlineData("--out", "--checkpoint", "prune --checkpoint {ck} --uniform 0.5 --data {data} --out {ck}")]
    [InlineData("--out", "--policy", "prune --checkpoint {ck} --policy {dir}/p.policy.json --data {data} --out {dir}/p.amc")]
    [InlineData("--out", "--checkpoint", "finetune --checkpoint {ck} --data {data} --epochs 1 --out {ck}")]
    [InlineData("--out", "--data", "train --model resnet20 --width 0.25 --data {data} --epochs 1 --out {data}")]
    [InlineData("--out", "--checkpoint", "search --checkpoint {ck} --data {data} --episodes 2 --out {ck}")]
    [InlineData("--onnx", "--safetensors", "export --checkpoint {ck} --onnx {dir}/x.json --safetensors {dir}/x.safetensors")]
    public void An_output_that_is_an_input_is_refused_naming_both_options_and_the_input_is_untouched(string output, string input, string command)
    {
        using var temp = new TempFolder();
        string dir = temp.Path, ck = Path.Combine(dir, "a.amc"), data = Path.Combine(dir, "data");
        File.Copy(model.Checkpoint, ck);
        // The same bytes under the names the cases read: the check must refuse before reading them.
        foreach (var name in new[] { "w.json", "m.onnx", "p.policy.json" }) File.Copy(model.Checkpoint, Path.Combine(dir, name));
        Directory.CreateDirectory(Path.Combine(dir, "sub"));
        Directory.CreateDirectory(data);
        foreach (var f in Directory.GetFiles(model.Data)) File.Copy(f, Path.Combine(data, Path.GetFileName(f)));
        var before = Snapshot(dir);

        var args = command.Replace("{ck}", ck).Replace("{data}", data).Replace("{dir}", dir).Split(' ');
        var message = CliAssert.BadInput(CliRun.Amc(args));

        Assert.Contains(output, message);
        Assert.Contains(input, message);
        Assert.Equal(before, Snapshot(dir));
    }

    [LinuxFact]
    public void An_output_reached_through_a_symbolic_link_is_the_input_it_points_to()
    {
        using var temp = new TempFolder();
        string ck = Path.Combine(temp.Folder("real"), "a.amc");
        File.Copy(model.Checkpoint, ck);
        File.CreateSymbolicLink(temp.File("link.onnx"), ck);
        Directory.CreateSymbolicLink(temp.File("linked"), temp.File("real"));
        var before = Snapshot(temp.Path);

        foreach (var onnx in new[] { temp.File("link.onnx"), temp.File("linked", "a.amc") })
        {
            var message = CliAssert.BadInput(CliRun.Amc("export", "--checkpoint", ck, "--onnx", onnx));
            Assert.Contains("--onnx", message);
            Assert.Contains("--checkpoint", message);
        }
        Assert.Equal(before, Snapshot(temp.Path));
    }

    [Fact]
    public void An_export_that_fails_after_writing_its_onnx_leaves_no_output_and_keeps_the_file_it_would_replace()
    {
        using var temp = new TempFolder();
        string onnx = temp.File("e.onnx");
        File.WriteAllText(onnx, "an earlier export");
        File.WriteAllText(temp.File("afile"), "");

        // The ONNX is written and checked first; the safetensors then cannot be written (its folder is a file).
        var r = CliRun.Amc("export", "--checkpoint", model.Checkpoint, "--onnx", onnx, "--safetensors", temp.File("afile", "x.safetensors"));

        Assert.Equal(1, r.ExitCode);
        Assert.Equal("an earlier export", File.ReadAllText(onnx));
        Assert.Equal(["afile", "e.onnx"], Names(temp.Path));

        // The same export with a writable path replaces the earlier file.
        CliAssert.Ok(CliRun.Amc("export", "--checkpoint", model.Checkpoint, "--onnx", onnx));
        Assert.NotEqual("an earlier export", File.ReadAllText(onnx));
    }

    [Fact]
    public void An_export_whose_architecture_json_cannot_be_written_leaves_neither_onnx_nor_safetensors()
    {
        using var temp = new TempFolder();
        Directory.CreateDirectory(temp.File("x.json"));

        var r = CliRun.Amc("export", "--checkpoint", model.Checkpoint, "--onnx", temp.File("x.onnx"), "--safetensors", temp.File("x.safetensors"));

        Assert.Equal(1, r.ExitCode);
        Assert.Equal(["x.json"], Names(temp.Path));
        Assert.Empty(Directory.EnumerateFileSystemEntries(temp.File("x.json")));
    }

    [Fact]
    public void A_prune_whose_resolved_options_cannot_be_written_leaves_neither_checkpoint_nor_policy()
    {
        using var temp = new TempFolder();
        Directory.CreateDirectory(temp.File("p.amc.config.json"));

        var r = CliRun.Amc("prune", "--checkpoint", model.Checkpoint, "--data", model.Data, "--uniform", "0.5", "--out", temp.File("p.amc"));

        Assert.Equal(1, r.ExitCode);
        Assert.Equal(["p.amc.config.json"], Names(temp.Path));
    }

    [Fact]
    public void A_command_that_fails_removes_the_folders_it_created_for_its_output()
    {
        using var temp = new TempFolder();
        CliAssert.BadInput(CliRun.Amc("search", "--checkpoint", temp.File("missing.amc"), "--out", temp.File("new", "search")));
        CliAssert.BadInput(CliRun.Amc("import", "--onnx", temp.File("missing.onnx"), "--out", temp.File("new", "x.amc")));
        Assert.Empty(Names(temp.Path));
    }

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

    [Fact]
    public void A_second_search_on_a_folder_in_use_is_refused_naming_the_first_and_a_killed_ones_lock_does_not_block()
    {
        using var temp = new TempFolder();
        string outDir = temp.File("s"), lockFile = Path.Combine(outDir, ".lock");
        string[] search = ["search", "--checkpoint", model.Checkpoint, "--data", model.Data, "--heldout", "10", "--calibration-images", "40",
            "--bn-images", "20", "--confirm-top", "0", "--no-baselines", "--out", outDir];

        string[] first = [.. search, "--episodes", "1000"];
        using (var running = CliRun.Start(first))
        {
            try
            {
                var clock = Stopwatch.StartNew();
                while (!(File.Exists(lockFile) && ReadShared(lockFile).Contains($"\"pid\": {running.Id},")))
                {
                    Assert.False(running.HasExited, "the first search ended before taking its lock");
                    Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), "no lock after 60 s");
                    Thread.Sleep(20);
                }

                var message = CliAssert.BadInput(CliRun.Amc([.. search, "--episodes", "2"]));
                Assert.Contains("--out", message);
                Assert.Contains($"pid {running.Id}", message);
                Assert.False(running.HasExited, "the first search must still hold the folder");
            }
            finally
            {
                running.Kill(); // SIGKILL: no clean-up of its own
                running.WaitForExit();
            }
        }

        // What the killed run left: its lock file and a temporary; only the lock file's text says who held it.
        Assert.True(File.Exists(lockFile));
        int dead = DeadPid();
        File.WriteAllText(Path.Combine(outDir, $".results.json.{dead}.tmp"), "half a file");
        foreach (var f in Directory.GetFiles(outDir).Where(f => Path.GetFileName(f) is "search-state.safetensors" or "episodes.jsonl")) File.Delete(f);

        string[] next = [.. search, "--episodes", "2"];
        var process = CliRun.Start(next);
        int pid = process.Id;
        CliAssert.Ok(CliRun.Run(process, next));
        Assert.Contains($"\"pid\": {pid},", ReadShared(lockFile));
        Assert.DoesNotContain($".results.json.{dead}.tmp", Names(outDir));
    }

    /// <summary>Names and contents of every file under a folder (links not followed).</summary>
    static Dictionary<string, string> Snapshot(string folder) =>
        new DirectoryInfo(folder).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Where(f => f.LinkTarget is null)
            .ToDictionary(f => Path.GetRelativePath(folder, f.FullName), f => Convert.ToHexString(File.ReadAllBytes(f.FullName)));

    static List<string> Names(string folder) =>
        Directory.EnumerateFileSystemEntries(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList()!;

    /// <summary>The text of a file another process may hold open.</summary>
    static string ReadShared(string path)
    {
        using var s = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        return new StreamReader(s).ReadToEnd();
    }

    /// <summary>The id of a process that has ended (ids are not reused that quickly).</summary>
    static int DeadPid()
    {
        using var p = Process.Start(new ProcessStartInfo("dotnet", "--version") { RedirectStandardOutput = true })!;
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return p.Id;
    }
}
