using System.Diagnostics;
using System.Text.Json.Nodes;

/// <summary>
/// torch_throughput.py in a child /usr/bin/python3 (the interpreter Debian's python3-torch belongs
/// to), kept alive for the whole run so its repeats interleave with ours. It answers one JSON line
/// per request.
/// </summary>
sealed class PyTorchWorker : IDisposable
{
    const string Python = "/usr/bin/python3";
    readonly Process process;

    public string Version { get; }
    public int Threads { get; }
    /// <summary>The BLAS library torch loaded: Debian falls back to the slow reference BLAS without libopenblas0.</summary>
    public string Blas { get; }

    PyTorchWorker(Process process, JsonNode hello)
    {
        this.process = process;
        Version = (string)hello["torch"]!;
        Threads = (int)hello["threads"]!;
        Blas = (string)hello["blas"]!;
    }

    /// <summary>The worker, or null and why not when PyTorch cannot be imported.</summary>
    public static (PyTorchWorker? Worker, string? Reason) TryStart(string script, int threads)
    {
        if (!File.Exists(Python)) return (null, $"{Python} not found");
        using (var probe = Process.Start(new ProcessStartInfo(Python, ["-c", "import torch"]) { RedirectStandardError = true })!)
        {
            string error = probe.StandardError.ReadToEnd();
            probe.WaitForExit();
            if (probe.ExitCode != 0)
                return (null, $"{Python} -c \"import torch\" failed: {error.Trim().Split('\n')[^1]} (apt-get install python3-torch)");
        }
        var process = Process.Start(new ProcessStartInfo(Python, [script, threads.ToString()])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
        })!;
        return (new PyTorchWorker(process, ReadAnswer(process)), null);
    }

    /// <summary>Builds the workload's network in PyTorch; returns its parameter count.</summary>
    public long Build(Workload w) => (long)Ask(new JsonObject
    {
        ["op"] = "build", ["model"] = w.Model, ["input"] = new JsonArray(w.Input.C, w.Input.H, w.Input.W),
        ["classes"] = Workload.Classes, ["mode"] = w.Train ? "train" : "infer", ["batch"] = w.Batch,
    })["params"]!;

    public Backend Backend() => new("PyTorch", n => (double)Ask(new JsonObject { ["op"] = "run", ["iters"] = n })["seconds"]!);

    JsonNode Ask(JsonObject request)
    {
        process.StandardInput.WriteLine(request.ToJsonString());
        process.StandardInput.Flush();
        var answer = ReadAnswer(process);
        if (answer["error"] is { } error) throw new InvalidOperationException($"torch_throughput.py: {error}");
        return answer;
    }

    static JsonNode ReadAnswer(Process process) =>
        JsonNode.Parse(process.StandardOutput.ReadLine() ?? throw new InvalidOperationException($"torch_throughput.py exited with code {(process.WaitForExit(5000) ? process.ExitCode : -1)}"))!;

    public void Dispose()
    {
        process.StandardInput.Close();
        if (!process.WaitForExit(5000)) process.Kill();
        process.Dispose();
    }
}
