using Amc.Data;
using Amc.Graph;
using Amc.Models;
using Amc.Sessions;
using Amc.Torch;
using Amc.Training;

namespace Amc.Tests.Sessions;

/// <summary>
/// `amc eval` and the evaluations of train and finetune run in ONNX Runtime by default: the
/// module's current weights exported in memory must score exactly as TorchSharp scores them,
/// before and after training steps; TorchSharp's own evaluation keeps its batches within an
/// activation budget, which slices them without changing the result.
/// </summary>
public class EvaluationEngineTests
{
    const int Images = 60, Classes = 10;

    static Dataset Data(TensorShape shape)
    {
        var rng = new Random(3);
        var pixels = new byte[Images * shape.Elements];
        rng.NextBytes(pixels);
        var mean = Enumerable.Repeat(0.5f, shape.C).ToArray();
        var std = Enumerable.Repeat(0.3f, shape.C).ToArray();
        return new Dataset("random", pixels, Enumerable.Range(0, Images).Select(i => i % Classes).ToArray(), shape, Classes, mean, std);
    }

    static void AssertSame(Evaluation torch, Evaluation ort)
    {
        Assert.Equal(torch.Count, ort.Count);
        Assert.Equal(torch.Top1, ort.Top1);
        Assert.Equal(torch.Top5, ort.Top5);
        // Float rounding differs between the engines (and BN folded into the convolutions for ORT).
        Assert.True(Math.Abs(torch.Loss - ort.Loss) <= 1e-5 * Math.Max(1, Math.Abs(torch.Loss)), $"loss {torch.Loss} vs {ort.Loss}");
        Assert.Equal(0, ort.NonFinite);
    }

    [Theory]
    [InlineData("plain20")]
    [InlineData("mobilenetv2")]
    [InlineData("resnet50")]
    public void Onnx_Runtime_scores_the_module_as_TorchSharp_does(string model)
    {
        using var module = TestNetworks.Randomized(TestNetworks.Build(model), seed: 21);
        var data = Data(module.Network.Input);
        var indices = Enumerable.Range(0, Images).ToArray();

        var torch = ModelEvaluation.Evaluate(module, data, indices, ScoringEngine.Torch);
        var ort = ModelEvaluation.Evaluate(module, data, indices, ScoringEngine.OnnxRuntime, threads: 1);

        AssertSame(torch, ort);
        Assert.Equal(Images, ort.Count);
        // Not a degenerate case in disguise: some hits, some misses.
        Assert.InRange(torch.Top5, 1.0 / Images, 1 - 1.0 / Images);
    }

    [Fact]
    public void After_training_steps_the_exported_weights_and_BN_statistics_are_the_current_ones()
    {
        using var module = TestNetworks.Randomized(TestNetworks.Build("resnet20"), seed: 5);
        var data = Data(module.Network.Input);
        var train = Enumerable.Range(0, 40).ToArray();
        var heldOut = Enumerable.Range(40, 20).ToArray();
        var before = ModelEvaluation.Evaluate(module, data, heldOut, ScoringEngine.OnnxRuntime, threads: 1);

        var trainer = new Trainer(module, data, train, new TrainOptions { Epochs = 1, BatchSize = 8, LearningRate = 0.05, Seed = 1 });
        trainer.Run(0, null, _ => { });

        var torch = ModelEvaluation.Evaluate(module, data, heldOut, ScoringEngine.Torch);
        var ort = ModelEvaluation.Evaluate(module, data, heldOut, ScoringEngine.OnnxRuntime, threads: 1);
        AssertSame(torch, ort);
        // The steps changed the network, so a stale export would have shown.
        Assert.NotEqual(before.Loss, ort.Loss, 3);
    }

    [Fact]
    public void Sliced_batches_score_as_whole_ones()
    {
        using var module = TestNetworks.Randomized(TestNetworks.Build("resnet20"), seed: 9);
        var data = Data(module.Network.Input);
        using var batches = new TensorBatches(data, Enumerable.Range(0, Images).ToArray(), 25);

        var whole = Evaluator.Evaluate(module, batches);
        var sliced = Evaluator.Evaluate(module, batches, maxBatch: 7);

        Assert.Equal(whole.Top1, sliced.Top1);
        Assert.Equal(whole.Top5, sliced.Top5);
        Assert.Equal(whole.Loss, sliced.Loss, 1e-5);
        Assert.Equal(Images, sliced.Count);
    }

    [Fact]
    public void Evaluation_batches_stay_within_the_activation_budget()
    {
        Assert.Equal(Evaluator.MaxBatch, Evaluator.BatchFor(ModelZoo.Build("resnet20", new ModelOptions(new TensorShape(1, 28, 28), 10))));
        var r50 = ModelZoo.Build("resnet50", new ModelOptions(new TensorShape(3, 224, 224), 1000));
        foreach (bool keeps in new[] { true, false })
        {
            int batch = Evaluator.BatchFor(r50, keeps);
            long perImage = keeps ? MemoryEstimate.ActivationBytesPerImage(r50, training: false) : MemoryEstimate.StreamingBytesPerImage(r50);
            Assert.InRange(batch, 1, Evaluator.MaxBatch - 1);
            Assert.True(batch * perImage <= Evaluator.ActivationBudget);
            Assert.True((batch + 1) * perImage > Evaluator.ActivationBudget);
        }
        // ONNX Runtime frees outputs as it goes, so it runs larger batches than TorchSharp.
        Assert.True(Evaluator.BatchFor(r50, keepsOutputs: false) > Evaluator.BatchFor(r50));
    }
}
