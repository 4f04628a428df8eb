using System.Diagnostics;
using Amc.Data;
using Amc.Graph;
using TorchSharp;
using static TorchSharp.torch;

// TorchSharp 0.107 turns a number passed where it wants a Scalar into a native Scalar owned only
// by a finalizer, and does not keep it alive across the native call it was made for. A garbage
// collection that another thread starts during that call can finalize the Scalar and free it
// under the call: "Unknown scalar type" or another native error. This program shows when that
// happens (docs/BENCHMARKS.md, "TorchSharp's Scalar race").
//   ScalarRace implicit|kept|main-only [SECONDS]   one in-place add per iteration
//   ScalarRace loader PREFETCH [SECONDS]           BN + SGD training steps fed by BatchLoader
//   ScalarRace steps-torchsharp|steps-safe [SECONDS]
//       tiny BN + SGD training steps while another thread allocates, with TorchSharp's BatchNorm2d
//       and SGD or with amc's (Amc.Torch.ScalarSafeModules, ScalarSafeOptimizers.SGD)
//   ScalarRace chain|chain-scoped [SECONDS]
//       the same race for a Tensor: t.detach().cpu().to_type(..) leaves each temporary to the
//       finalizer, which can free it while the next call in the chain reads it (a segfault, not an
//       exception); inside a DisposeScope the scope holds them (Amc.Torch.SafeTensorsFile.Write)
using Amc.Torch;

string mode = args.Length > 0 ? args[0] : "implicit";
int prefetch = mode == "loader" && args.Length > 1 ? int.Parse(args[1]) : 0;
double seconds = double.Parse(args.Length > (mode == "loader" ? 2 : 1) ? args[^1] : "30");
var clock = Stopwatch.StartNew();
long n = 0;
try
{
    if (mode == "loader") Train(prefetch, seconds, clock);
    else if (mode.StartsWith("steps-")) Steps(mode == "steps-safe", seconds, clock);
    else if (mode.StartsWith("chain")) Chain(mode == "chain-scoped", seconds, clock);
    else Add(mode, seconds, clock);
    Console.WriteLine($"{Describe()}: no failure in {n:N0} iterations, {clock.Elapsed.TotalSeconds:F0} s, {GC.CollectionCount(0):N0} collections");
}
catch (Exception e)
{
    Console.WriteLine($"{Describe()}: FAILED after {n:N0} iterations, {clock.Elapsed.TotalSeconds:F1} s, {GC.CollectionCount(0):N0} collections: " +
        $"{e.GetType().Name}: {e.Message.Split('\n')[0]}");
    return 1;
}
return 0;

string Describe() => mode == "loader" ? $"loader, prefetch {prefetch}" : mode;

void Add(string how, double limit, Stopwatch clock)
{
    bool stop = false;
    if (how != "main-only")
        new Thread(() => Churn(() => stop)) { IsBackground = true }.Start();
    var junk = new List<byte[]>();
    using var x = zeros(1, dtype: ScalarType.Int64);
    using var one = 1.ToScalar();
    try
    {
        for (; clock.Elapsed.TotalSeconds < limit; n++)
        {
            if (how == "kept") x.add_(one, one);
            else x.add_(1);
            if (how == "main-only") Allocate(junk);
        }
    }
    finally { stop = true; }
}

static void Churn(Func<bool> stop)
{
    var junk = new List<byte[]>();
    while (!stop()) Allocate(junk);
}

static void Allocate(List<byte[]> junk)
{
    junk.Add(new byte[10_000]);
    if (junk.Count > 1000) junk.Clear();
}

// A small conv net in training mode (every BatchNorm adds 1 to num_batches_tracked, the SGD step
// scales by momentum and the learning rate), fed by BatchLoader over synthetic 28x28 images.
void Train(int prefetch, double limit, Stopwatch clock)
{
    torch.manual_seed(1);
    var layers = new List<(string, nn.Module<Tensor, Tensor>)>();
    int c = 1;
    for (int k = 0; k < 4; k++)
    {
        layers.Add(($"conv{k}", nn.Conv2d(c, 16, 3, padding: 1)));
        layers.Add(($"bn{k}", nn.BatchNorm2d(16)));
        layers.Add(($"relu{k}", nn.ReLU()));
        c = 16;
    }
    layers.Add(("pool", nn.AdaptiveAvgPool2d(1)));
    layers.Add(("flat", nn.Flatten()));
    layers.Add(("fc", nn.Linear(16, 10)));
    var model = nn.Sequential(layers);
    model.train();
    var sgd = optim.SGD(model.parameters(), 0.01, 0.9, weight_decay: 5e-4);
    var rng = new Random(1);
    var pixels = new byte[20_000 * 784];
    rng.NextBytes(pixels);
    var data = new Dataset("synthetic", pixels, Enumerable.Range(0, 20_000).Select(i => i % 10).ToArray(),
        new TensorShape(1, 28, 28), 10, [0.5f], [0.25f]);
    var all = Enumerable.Range(0, data.Count).ToArray();
    for (int epoch = 0; clock.Elapsed.TotalSeconds < limit; epoch++)
        foreach (var batch in new BatchLoader(data, all, 8, shuffle: true, augment: true, seed: epoch, prefetch: prefetch))
        {
            using var scope = NewDisposeScope();
            var (x, y) = batch.ToTensors();
            sgd.zero_grad();
            nn.functional.cross_entropy(model.call(x), y).backward();
            sgd.step();
            if (++n % 64 == 0 && clock.Elapsed.TotalSeconds >= limit) break;
        }
}

// As small as a BN + SGD step gets, so that most of the time is spent in calls that take a Scalar,
// while a second thread allocates (and so starts collections) all the time.
void Steps(bool safe, double limit, Stopwatch clock)
{
    torch.manual_seed(1);
    var model = nn.Sequential(
        ("conv", nn.Conv2d(1, 4, 3, padding: 1)),
        ("bn", safe ? ScalarSafeModules.BatchNorm2d(4, 1e-5) : nn.BatchNorm2d(4)),
        ("flat", nn.Flatten()),
        ("fc", nn.Linear(4 * 4 * 4, 2)));
    model.train();
    var sgd = safe ? new ScalarSafeOptimizers.SGD(model.parameters(), 0.01, 0.9, 5e-4) : optim.SGD(model.parameters(), 0.01, 0.9, weight_decay: 5e-4);
    using var x = randn(2, 1, 4, 4);
    using var y = tensor(new long[] { 0, 1 });
    bool stop = false;
    new Thread(() => Churn(() => stop)) { IsBackground = true }.Start();
    try
    {
        for (; clock.Elapsed.TotalSeconds < limit; n++)
        {
            using var scope = NewDisposeScope();
            sgd.zero_grad();
            nn.functional.cross_entropy(model.call(x), y).backward();
            sgd.step();
        }
    }
    finally { stop = true; }
}

void Chain(bool scoped, double limit, Stopwatch clock)
{
    using var w = randn(16, 16);
    bool stop = false;
    new Thread(() => Churn(() => stop)) { IsBackground = true }.Start();
    try
    {
        for (; clock.Elapsed.TotalSeconds < limit; n++)
        {
            using var scope = scoped ? NewDisposeScope() : null;
            using var copy = w.detach().cpu().to_type(ScalarType.Float64).contiguous();
        }
    }
    finally { stop = true; }
}
