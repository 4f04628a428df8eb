// PyTorch interop check: torchvision state dicts written by make_weights.py (real PyTorch) are
// loaded into the zoo's models by name; the outputs must match PyTorch's.
//
//   /usr/bin/python3 bench/PyTorchInterop/make_weights.py DIR
//   dotnet run -c Release --project bench/PyTorchInterop -- DIR
using System.Text.Json;
using Amc.Graph;
using Amc.Models;
using static TorchSharp.torch;
using Amc.Torch;

if (args[0] == "--amc")
{
    // Mode 2: logits of an amc checkpoint on a fixed input, for load_amc.py to compare against.
    var ck = Checkpoint.Load(args[1]);
    manual_seed(0);
    var input = randn(2, ck.Network.Input.C, ck.Network.Input.H, ck.Network.Input.W);
    File.WriteAllText(Path.Combine(args[2], "input.json"), JsonSerializer.Serialize(new { shape = input.shape, data = input.data<float>().ToArray() }));
    using var m = ck.ToModule();
    m.eval();
    using (no_grad()) File.WriteAllText(Path.Combine(args[2], "torchsharp.json"), JsonSerializer.Serialize(m.call(input).data<float>().ToArray()));
    return;
}
string dir = args[0];
foreach (var (name, classes, width) in new[] { ("mobilenetv2", 10, 0.5), ("resnet50", 10, 1.0), ("vgg16", 10, 1.0) })
{
    var input = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, $"{name}.input.json"))).RootElement;
    var shape = input.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
    var x = tensor(input.GetProperty("data").EnumerateArray().Select(e => e.GetSingle()).ToArray(), shape);
    var expected = JsonSerializer.Deserialize<float[]>(File.ReadAllText(Path.Combine(dir, $"{name}.logits.json")))!;
    var net = ModelZoo.Build(name, new ModelOptions(new TensorShape((int)shape[1], (int)shape[2], (int)shape[3]), classes, width));
    var path = Path.Combine(dir, $"{name}.pt");
    using var module = new GraphModule(net);
    module.LoadTensors(PyTorchWeights.Fit(net, PyTorchWeights.Read(path), path));
    module.eval();
    using var _ = no_grad();
    var y = module.call(x).data<float>().ToArray();
    double diff = y.Zip(expected).Max(p => Math.Abs(p.First - p.Second));
    Console.WriteLine($"{name,-12} {ParameterShapes.Of(net).Count,4} tensors loaded by name; max |TorchSharp - PyTorch| = {diff:E2}");
}
