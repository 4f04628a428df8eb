// Training and inference throughput (images/s) of ResNet-20 and Plain-20 in TorchSharp (the
// product's GraphModule), ONNX Runtime (the product's exporter and session) and, when Debian's
// python3-torch is installed, PyTorch on the same machine in the same run.
//   dotnet run -c Release --project bench/Throughput -- [--quick] [--threads 2] [--out bench/results/throughput/results.md]
// Writes a Markdown table to stdout and to --out. Take real numbers on a quiet machine.
using System.Globalization;
using Amc.Graph;
using Amc.Models;
using Amc.Pruning;
using TorchSharp;
using Amc.Torch;

Amc.Host.MallocTuning.Apply();
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

string root = RepoRoot();
bool quick = false;
int threads = 2;
string outPath = Path.Combine(root, "bench", "results", "throughput", "results.md");
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--quick": quick = true; break;
        case "--threads": threads = int.Parse(args[++i]); break;
        case "--out": outPath = args[++i]; break;
        default:
            Console.Error.WriteLine($"unknown argument '{args[i]}'; usage: [--quick] [--threads N] [--out FILE]");
            return 2;
    }
}

var settings = quick ? TimingSettings.Quick : TimingSettings.Full;
double? loadBefore = Machine.LoadAverage();
var started = DateTime.UtcNow;
torch.set_num_threads(threads);
var (pytorch, noPyTorch) = PyTorchWorker.TryStart(Path.Combine(root, "bench", "Throughput", "torch_throughput.py"), threads);

var rows = new List<ResultRow>();
using (pytorch)
{
    foreach (var model in new[] { "resnet20", "plain20" })
        foreach (var input in new[] { new TensorShape(3, 32, 32), new TensorShape(1, 28, 28) })
        {
            var net = ModelZoo.Build(model, new ModelOptions(input, Workload.Classes));
            using var template = new GraphModule(net);
            // Fresh BN statistics (mean 0, variance 1) let activations shrink layer after layer
            // into denormal floats, which some kernels process many times slower: set them from data.
            using (var images = torch.randn(64, input.C, input.H, input.W))
                BatchNormCalibration.Recalibrate(template, [images]);
            var onnxCheck = OnnxRuntimeBackend.MaxDifference(template, threads);
            foreach (var w in new[] { new Workload(model, input, true, 128), new Workload(model, input, false, 128), new Workload(model, input, false, 1) })
            {
                var backends = new List<Backend> { TorchSharpBackend.Create(template, w) };
                if (!w.Train) backends.Add(OnnxRuntimeBackend.Create(template, w, threads));
                long? pytorchParams = null;
                if (pytorch is not null)
                {
                    pytorchParams = pytorch.Build(w);
                    backends.Add(pytorch.Backend());
                }
                var results = Timing.Measure(backends, w.Batch, settings);
                foreach (var b in backends) b.Resources?.Dispose();
                var row = new ResultRow(w, results, CostModel.Of(net).Params, pytorchParams, onnxCheck.Difference, onnxCheck.Largest);
                rows.Add(row);
                Console.Error.WriteLine($"{model} {input} {w.Name}: {string.Join(", ", results.Select(r => $"{r.Key} {r.Value.Median:F0} img/s"))}");
            }
        }
}

#if DEBUG
const string configuration = "Debug";
#else
const string configuration = "Release";
#endif
string command = $"dotnet run -c {configuration} --project bench/Throughput" + (args.Length > 0 ? " -- " + string.Join(' ', args) : "");
var markdown = ResultsReport.Markdown(rows, new RunInfo(started, command, configuration, threads, settings, quick, loadBefore,
    pytorch is null ? null : $"{pytorch.Version}, {pytorch.Threads} threads, BLAS {pytorch.Blas}", noPyTorch));
Console.WriteLine(markdown);
File.WriteAllText(outPath, markdown);
Console.Error.WriteLine($"written to {outPath}");
return 0;

static string RepoRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        if (File.Exists(Path.Combine(dir.FullName, "Amc.slnx"))) return dir.FullName;
    return Directory.GetCurrentDirectory();
}
