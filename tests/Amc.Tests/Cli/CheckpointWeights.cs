using Amc.Torch;

namespace Amc.Tests.Cli;

static class CheckpointWeights
{
    /// <summary>Same architecture and bit-identical tensors (running BN statistics included).</summary>
    public static void AssertEqual(string expectedPath, string actualPath)
    {
        var expected = Checkpoint.Load(expectedPath);
        var actual = Checkpoint.Load(actualPath);
        Assert.Equal(expected.Weights.Keys.Order(), actual.Weights.Keys.Order());
        foreach (var (key, e) in expected.Weights)
        {
            var a = actual.Weights[key];
            Assert.Equal(e.shape, a.shape);
            Assert.True(e.eq(a).all().item<bool>(), $"tensor '{key}' differs: max |diff| {(e - a).abs().max().item<float>()}");
        }
    }
}
