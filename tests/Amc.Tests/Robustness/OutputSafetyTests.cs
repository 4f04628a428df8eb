using System.Diagnostics;
using Amc.Tests.Cli;
using Amc.Tests.Data;

namespace Amc.Tests.Robustness;

/// <summary>
/// What the commands do to files: an output that is an input is refused before anything is
/// written; a run that fails leaves no output behind and a file it would have replaced as it was;
/// temporaries of killed runs are removed by the next run.
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

    /// <summary>Names and contents of every file under a folder (links not followed).</summary>
    static Dictionary<string, string> Snapshot(string folder) =>
        new DirectoryInfo(folder).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Where(f => f.LinkTarget is null)
            .ToDictionary(f => Path.GetRelativePath(folder, f.FullName), f => Convert.ToHexString(File.ReadAllBytes(f.FullName)));

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
