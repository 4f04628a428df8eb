using Amc.Sessions;
using Amc.Graph;
using Amc.Models;
using Amc.Tests.Cli;
using Amc.Tests.Data;
using static TorchSharp.torch;
using Amc.Host;
using Amc.Torch;

namespace Amc.Tests.Robustness;

/// <summary>
/// The memory estimate counts what the runtime really allocates (checked against TorchSharp), and
/// a command whose estimate exceeds the available memory is refused with the numbers and a fix
/// before it allocates; before, `amc bench --batch 100000000` or `amc train --width 100` ran until
/// the OS killed them.
/// </summary>
public class MemoryEstimateTests
{
    const long GB = 1L << 30;

    /// <summary>1x4x4 input, conv to 2 channels (3x3, padding 1), ReLU, Flatten, Linear to 10.</summary>
    static Network Tiny()
    {
        var b = new NetworkBuilder("tiny", new TensorShape(1, 4, 4));
        b.Linear("fc", b.Flatten("flat", b.ReLU("relu", b.Conv("conv", Network.InputName, 2, 3, padding: 1, bias: true))), 10);
        return b.Build();
    }

    [Fact]
    public void Counts_by_hand_on_a_tiny_network()
    {
        var net = Tiny();
        // conv 2x1x3x3 + 2 bias, fc 10x32 + 10 bias.
        Assert.Equal((18 + 2 + 320 + 10) * 4L, MemoryEstimate.ParameterBytes(net));
        // input 16, conv 32, relu 32, flatten (a view) 0, fc 10.
        Assert.Equal((16 + 32 + 32 + 10) * 4L, MemoryEstimate.ActivationBytesPerImage(net, training: false));
        // Training adds the gradients of the two largest outputs in flight.
        Assert.Equal((16 + 32 + 32 + 10 + 32 + 32) * 4L, MemoryEstimate.ActivationBytesPerImage(net, training: true));
        // ONNX Runtime: the input and the two largest outputs.
        Assert.Equal((16 + 32 + 32) * 4L, MemoryEstimate.StreamingBytesPerImage(net));
        // conv's channels are prunable and fc reads them through Flatten: d = 32 features.
        Assert.Equal(33L * 33 * 8, MemoryEstimate.GramBytes(net));

        var training = MemoryEstimate.Training(net, batch: 8);
        Assert.Equal(4 * MemoryEstimate.ParameterBytes(net), training.Weights); // weights, gradients, momentum, snapshot
        Assert.Equal(8 * training.ActivationsPerImage, training.Activations);
        Assert.Equal(16L * 4 * 100, MemoryEstimate.Inference(net, 1, "x").WithImages(net, 100).Data);
        Assert.Equal((16 + 32 + 32 + 10 + 16) * 4L, MemoryEstimate.Inference(net, 1, "x").WithInputCopy(net).ActivationsPerImage);
    }

    [Fact]
    public void Weights_and_activations_match_what_TorchSharp_allocates()
    {
        var net = ModelZoo.Build("resnet20", new ModelOptions(new TensorShape(1, 28, 28), 10, 0.5));
        using var module = new GraphModule(net);
        module.eval();
        long weights = module.Tensors().Values.Sum(t => t.numel() * t.ElementSize);
        Assert.Equal(weights, MemoryEstimate.ParameterBytes(net));

        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var x = randn(3, 1, 28, 28);
        var outputs = module.ForwardAll(x);
        // Distinct storages: Flatten's view and eval-mode dropout share their input's.
        long held = outputs.Values.Select(t => t.storage<float>()).GroupBy(s => s.data_ptr()).Sum(g => (long)g.First().nbytes());
        Assert.Equal(held, 3 * MemoryEstimate.ActivationBytesPerImage(net, training: false));
    }

    [Fact]
    public void Published_sizes_come_out_as_expected()
    {
        // ResNet-50 has 25.6 M parameters (plus 53 K BN running statistics): about 98 MB of float32.
        var r50 = ModelZoo.Build("resnet50", new ModelOptions(new TensorShape(3, 224, 224), 1000));
        Assert.InRange(MemoryEstimate.ParameterBytes(r50) / 1e6, 102, 103);
        var training = MemoryEstimate.Training(r50, 128);
        Assert.InRange(training.Activations / (double)GB, 15, 25);
        // VGG-16's fc6 reads 25088 features: its Gram matrix alone is 25089^2 float64 = 4.7 GiB.
        var vgg = ModelZoo.Build("vgg16", new ModelOptions(new TensorShape(3, 224, 224), 1000));
        Assert.True(MemoryEstimate.GramBytes(vgg) > 25089L * 25089 * 8);
    }

    [Fact]
    public void The_shipped_demo_fits_comfortably()
    {
        // The demo searches ResNet-20 on 1x28x28 Fashion-MNIST; this estimate must not refuse it on a small machine.
        var net = ModelZoo.Build("resnet20", new ModelOptions(new TensorShape(1, 28, 28), 10));
        var search = MemoryEstimate.Inference(net, PruningMemory.ScoringBatch, "searching", weightCopies: 4).WithGrams(net).WithImages(net, 3000 + 1000 + 10000);
        Assert.True(search.Total < 1 * GB, search.Describe(0));
        Assert.True(MemoryEstimate.Training(net, 128).Total < GB / 2);
    }

    [Fact]
    public void Absurd_requests_saturate_instead_of_wrapping()
    {
        var net = ModelZoo.Build("resnet20", new ModelOptions(new TensorShape(3, 1000, 1000), 10, 100));
        var e = MemoryEstimate.Training(net, int.MaxValue).WithImages(net, long.MaxValue / 2);
        Assert.True(e.Total > 0);
        Assert.Equal(long.MaxValue, e.Total);
        Assert.False(e.Fits(long.MaxValue - 1));
    }

    [Fact]
    public void The_refusal_gives_the_estimate_the_available_memory_and_the_largest_batch_that_fits()
    {
        var net = ModelZoo.Build("resnet50", new ModelOptions(new TensorShape(3, 224, 224), 1000));
        var estimate = MemoryEstimate.Training(net, 128);
        long available = 4 * GB;
        var e = Assert.Throws<SettingsException>(() => MemoryCheck.Ensure(estimate, available, "--batch-size"));
        Assert.StartsWith("training resnet50 at batch 128 needs about ", e.Message);
        Assert.Contains("(weights 391 MB, activations ", e.Message);
        Assert.Contains("4.0 GB is available", e.Message);
        int largest = estimate.LargestBatch(available);
        Assert.InRange(largest, 16, 127);
        Assert.True(estimate with { Batch = largest } is var fits && fits.Fits(available));
        Assert.False((estimate with { Batch = largest + 1 }).Fits(available));
        int suggested = 1 << (31 - int.LeadingZeroCount(largest));
        Assert.EndsWith($"; use --batch-size {suggested} or smaller", e.Message);

        // Enough memory: no refusal.
        MemoryCheck.Ensure(estimate, 64 * GB, "--batch-size");
    }

    [Fact]
    public void When_no_batch_fits_the_fix_is_the_command_s_own()
    {
        var net = ModelZoo.Build("vgg16", new ModelOptions(new TensorShape(3, 224, 224), 1000));
        var estimate = MemoryEstimate.Inference(net, 250, "pruning", 4).WithGrams(net);
        var e = Assert.Throws<SettingsException>(() => MemoryCheck.Ensure(estimate, 6 * GB, fix: "drop --reconstruct"));
        Assert.Contains("Gram matrices", e.Message);
        Assert.EndsWith("; drop --reconstruct", e.Message);
    }

    [Fact]
    public void Available_memory_reads_MemAvailable()
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp.File("meminfo"), "MemTotal:       24684092 kB\nMemFree:         1000000 kB\nMemAvailable:   19150232 kB\n");
        Assert.Equal(19150232L * 1024, AvailableMemory.MemAvailable(temp.File("meminfo")));
        File.WriteAllText(temp.File("old"), "MemTotal: 1000 kB\n");
        Assert.Null(AvailableMemory.MemAvailable(temp.File("old")));
        Assert.Null(AvailableMemory.MemAvailable(temp.File("absent")));
        Assert.True(AvailableMemory.Bytes() > 0);
    }

    [Fact]
    public void Bench_at_an_absurd_batch_exits_2_with_the_estimate()
    {
        using var temp = new TempFolder();
        var net = ModelZoo.Build("resnet20", new ModelOptions(new TensorShape(1, 28, 28), 10, 0.25));
        using (var module = new GraphModule(net)) Checkpoint.From(module, new CheckpointInfo()).Save(temp.File("r.amc"));
        // 100 million images of half a MB of activations each: 50 TB, more than any machine has.
        var message = CliAssert.BadInput(CliRun.Amc("bench", "--checkpoint", temp.File("r.amc"), "--batch", "100000000", "--repeats", "1"));
        Assert.Contains("benchmarking resnet20 at batch 100000000 needs about", message);
        Assert.Contains("TB", message);
        Assert.Contains("is available; use --batch ", message);
    }

    [Fact]
    public void Training_a_huge_width_exits_2_before_allocating()
    {
        using var temp = new TempFolder();
        var data = TinyIdxData.Write(temp.File("data"), train: 60, test: 10, size: 400);
        // ResNet-20 at width 100 holds 2.7 G parameters (43 GB in training) and, on 400x400
        // images, about 40 GB of activations per image: terabytes at batch 50.
        var r = CliRun.Amc("train", "--model", "resnet20", "--width", "100", "--data", data, "--batch-size", "50", "--heldout", "5", "--out", temp.File("x.amc"));
        var message = CliAssert.BadInput(r);
        Assert.Contains("training resnet20 at batch 50 needs about", message);
        Assert.False(File.Exists(temp.File("x.amc")));
    }
}
