using System.Text;
using Amc.Cli;
using Amc.Tests.Data;
using Xunit.Abstractions;

namespace Amc.Tests.Robustness;

/// <summary>
/// Seeded fuzzing of every file kind the command reads: valid files are damaged (bytes and
/// structure) and fed to the command in process. Each run must end with exit 0 or 2, an exit 2
/// with one line and no stack trace, and a failed run must leave nothing in its output folder.
/// The seeds are fixed, so a failure here is a reproducible case: its description names the
/// mutation, the case number is its seed.
/// </summary>
public sealed class FuzzTests(FuzzSeeds seeds, ITestOutputHelper log) : IClassFixture<FuzzSeeds>
{
    sealed record Outcome(int Case, string Mutation, int ExitCode, string Stderr);

    [Fact]
    public void Damaged_checkpoints_are_refused_cleanly()
    {
        var valid = File.ReadAllBytes(seeds.Checkpoint);
        int header = (int)BitConverter.ToUInt64(valid, 0) + 8;
        Fuzz("checkpoint", 1200, (m, dir) =>
        {
            var (bytes, what) = m.Next(2) == 0 ? m.SafeTensorsHeader(valid) : m.Bytes(valid, header);
            string file = Path.Combine(dir, "in.amc");
            File.WriteAllBytes(file, bytes);
            // export reads every weight and checks the network end to end; profile only the description.
            string[] args = m.Next(4) == 0
                ? ["export", "--checkpoint", file, "--onnx", Path.Combine(dir, "out", "x.onnx")]
                : ["profile", "--checkpoint", file];
            return (what, args);
        });
    }

    [Fact]
    public void Damaged_onnx_models_are_refused_cleanly()
    {
        var valid = File.ReadAllBytes(seeds.Onnx);
        Fuzz("onnx", 800, (m, dir) =>
        {
            var (bytes, what) = m.Next(3) == 0 ? m.Bytes(valid, 2048) : OnnxMutations.Apply(valid, m);
            string file = Path.Combine(dir, "in.onnx");
            File.WriteAllBytes(file, bytes);
            return (what, ["import", "--onnx", file, "--out", Path.Combine(dir, "out", "x.amc")]);
        });
    }

    [Fact]
    public void Damaged_idx_data_is_refused_cleanly()
    {
        var files = Directory.GetFiles(seeds.Data);
        Fuzz("idx", 300, (m, dir) =>
        {
            string data = Directory.CreateDirectory(Path.Combine(dir, "data")).FullName;
            foreach (var f in files) File.Copy(f, Path.Combine(data, Path.GetFileName(f)));
            string victim = Path.Combine(data, Path.GetFileName(files[m.Next(files.Length)]));
            var (bytes, what) = m.Bytes(File.ReadAllBytes(victim), 16);
            File.WriteAllBytes(victim, bytes);
            return ($"{Path.GetFileName(victim)}: {what}", ["eval", "--checkpoint", seeds.Checkpoint, "--data", data]);
        });
    }

    [Fact]
    public void Damaged_policies_are_refused_cleanly()
    {
        string valid = File.ReadAllText(seeds.Policy);
        Fuzz("policy", 300, (m, dir) =>
        {
            var (text, what) = m.Next(4) == 0 ? BytesAsText(m, valid) : m.Json(valid);
            string file = Path.Combine(dir, "policy.json");
            File.WriteAllText(file, text);
            return (what, ["prune", "--checkpoint", seeds.Checkpoint, "--policy", file, "--data", seeds.Data, "--heldout", "10",
                "--no-bn-recalibration", "--out", Path.Combine(dir, "out", "p.amc")]);
        });
    }

    [Fact]
    public void Damaged_configs_are_refused_cleanly()
    {
        string valid = File.ReadAllText(seeds.Config);
        Fuzz("config", 800, (m, dir) =>
        {
            var (text, what) = m.Yaml(valid);
            string file = Path.Combine(dir, "config.yaml");
            File.WriteAllText(file, text);
            string[] args = m.Next(5) == 0 ? ["profile", $"--config={file}"] : ["profile", "--config", file];
            return (what, args);
        });
    }

    static (string, string) BytesAsText(Mutator m, string text)
    {
        var (b, what) = m.Bytes(Encoding.UTF8.GetBytes(text), text.Length);
        return (Encoding.UTF8.GetString(b), what);
    }

    void Fuzz(string kind, int cases, Func<Mutator, string, (string What, string[] Args)> make)
    {
        var bad = new List<Outcome>();
        int ok = 0, refused = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < cases; i++)
        {
            string dir = seeds.NewCase($"{kind}-{i}");
            var mutator = new Mutator(1000 * kind.Length + i);
            var (what, args) = make(mutator, dir);
            var inputs = Directory.GetFiles(dir, "*", SearchOption.AllDirectories).ToHashSet();
            var stderr = new StringWriter();
            var run = AmcCli.RunAsync([.. args, "--threads", "1"], stderr);
            try
            {
                if (!run.Wait(TimeSpan.FromSeconds(30))) { bad.Add(new(i, what, -1, "no answer within 30 s")); continue; }
            }
            catch (AggregateException e)
            {
                bad.Add(new(i, what, -1, $"exception escaped the command: {e.InnerException}"));
                continue;
            }
            int code = run.Result;
            string err = stderr.ToString();
            var written = Directory.GetFiles(dir, "*", SearchOption.AllDirectories).Where(f => !inputs.Contains(f)).ToList();
            bool clean = code switch
            {
                0 => true,
                2 => err.TrimEnd('\n').Split('\n').Length == 1 && err.StartsWith("error: ") && !err.Contains("   at ") && written.Count == 0,
                _ => false,
            };
            if (!clean) bad.Add(new(i, what, code, written.Count > 0 && code != 0 ? $"left {string.Join(", ", written.Select(Path.GetFileName))}; {err}" : err));
            else if (code == 0) ok++;
            else refused++;
            if (clean) Directory.Delete(dir, recursive: true);
        }
        log.WriteLine($"{kind}: {cases} cases in {clock.Elapsed.TotalSeconds:F1} s: {ok} exit 0, {refused} exit 2, {bad.Count} broke the contract");
        foreach (var b in bad.Take(20)) log.WriteLine($"  case {b.Case} ({b.Mutation}): exit {b.ExitCode}: {Trim(b.Stderr)}");
        Assert.True(bad.Count == 0, $"{kind}: {bad.Count} of {cases} damaged files broke the exit-code contract, e.g.\n" +
            string.Join("\n", bad.Take(8).Select(b => $"case {b.Case} ({b.Mutation}): exit {b.ExitCode}: {Trim(b.Stderr)}")));
    }

    static string Trim(string s) => s.Length > 400 ? s[..400] + "..." : s.ReplaceLineEndings(" | ");
}
