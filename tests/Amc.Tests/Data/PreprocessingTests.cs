using Amc.Data;
using Amc.Graph;

namespace Amc.Tests.Data;

public class PreprocessingTests
{
    [Fact]
    public void Metadata_round_trips_mean_std_and_transform()
    {
        var p = new Preprocessing([0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f], new TensorShape(3, 224, 224), ImageTransform.CenterCrop(224, 224));
        var props = p.ToMetadata();

        Assert.Equal("0.485,0.456,0.406", props[Preprocessing.MeanKey]);
        Assert.Equal("rgb", props[Preprocessing.ColorKey]);
        Assert.Equal("256", props[Preprocessing.ResizeKey]);
        Assert.Equal("224x224", props[Preprocessing.CropKey]);
        Assert.Equal("bilinear", props[Preprocessing.FilterKey]);
        var (mean, std, transform) = Preprocessing.FromMetadata(props, 3)!.Value;
        Assert.Equal(p.Mean, mean);
        Assert.Equal(p.Std, std);
        Assert.Equal(p.Transform, transform);
    }

    [Fact]
    public void A_model_without_our_keys_has_none_and_a_bad_value_is_refused()
    {
        Assert.Null(Preprocessing.FromMetadata(new Dictionary<string, string> { ["other"] = "x" }, 3));
        var bad = new Dictionary<string, string> { [Preprocessing.MeanKey] = "0.5,0.5", [Preprocessing.StdKey] = "0.2,0.2,0.2" };
        Assert.Contains("3 channels", Assert.Throws<FormatException>(() => Preprocessing.FromMetadata(bad, 3)).Message);
        bad[Preprocessing.MeanKey] = "0.5,0.5,0.5";
        bad[Preprocessing.StdKey] = "0.2,0,0.2";
        Assert.Contains("positive", Assert.Throws<FormatException>(() => Preprocessing.FromMetadata(bad, 3)).Message);
    }
}
