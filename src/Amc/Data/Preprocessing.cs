using System.Globalization;
using Amc.Graph;

namespace Amc.Data;

/// <summary>
/// Everything needed to feed a network an image: colour (RGB, or grayscale as BT.601 luma), how
/// the file is brought to the input size, then pixel / 255 normalised per channel with Mean and
/// Std, in C x H x W order. A checkpoint and an exported ONNX file carry it, so a deployed model
/// says how to feed it.
/// </summary>
public sealed record Preprocessing(float[] Mean, float[] Std, TensorShape Input, ImageTransform Transform)
{
    /// <summary>The ONNX metadata_props keys (README, "Preprocessing in exported models").</summary>
    public const string MeanKey = "amc.preprocessing.mean", StdKey = "amc.preprocessing.std",
        ColorKey = "amc.preprocessing.color", ResizeModeKey = "amc.preprocessing.resize_mode",
        ResizeKey = "amc.preprocessing.resize", CropKey = "amc.preprocessing.crop",
        FilterKey = "amc.preprocessing.filter", ScaleKey = "amc.preprocessing.scale";

    public bool Grayscale => Input.C == 1;

    /// <summary>The keys and values written into an exported model's metadata.</summary>
    public IReadOnlyDictionary<string, string> ToMetadata()
    {
        var props = new Dictionary<string, string>
        {
            [MeanKey] = Join(Mean),
            [StdKey] = Join(Std),
            [ColorKey] = Grayscale ? "gray" : "rgb",
            [ScaleKey] = "pixel/255, then (x - mean) / std per channel, NCHW",
            [ResizeModeKey] = Transform.Mode switch
            {
                ResizeMode.CenterCrop => "resize-shorter-side-then-center-crop",
                ResizeMode.Squash => "resize-to-input",
                _ => "none",
            },
            [CropKey] = $"{Input.W}x{Input.H}",
        };
        if (Transform.Mode != ResizeMode.None)
            props[FilterKey] = "bilinear";
        if (Transform is { Mode: ResizeMode.CenterCrop, Resize: int resize })
            props[ResizeKey] = resize.ToString(CultureInfo.InvariantCulture);
        return props;
    }

    /// <summary>
    /// Mean, Std and the transform from an exported model's metadata, or null when it has none of
    /// ours (a model from elsewhere). A value we cannot read is refused: a wrong normalisation
    /// would score silently wrong.
    /// </summary>
    public static (float[] Mean, float[] Std, ImageTransform Transform)? FromMetadata(IReadOnlyDictionary<string, string> props, int channels)
    {
        if (!props.TryGetValue(MeanKey, out var meanText) || !props.TryGetValue(StdKey, out var stdText))
            return null;
        float[] mean = Parse(MeanKey, meanText, channels), std = Parse(StdKey, stdText, channels);
        if (std.Any(s => !(s > 0)))
            throw new FormatException($"{StdKey} '{stdText}' must be positive");
        var mode = props.GetValueOrDefault(ResizeModeKey) switch
        {
            "resize-shorter-side-then-center-crop" => ResizeMode.CenterCrop,
            "resize-to-input" => ResizeMode.Squash,
            _ => ResizeMode.None,
        };
        int? resize = mode == ResizeMode.CenterCrop && props.TryGetValue(ResizeKey, out var r)
            && int.TryParse(r, NumberStyles.None, CultureInfo.InvariantCulture, out int side) && side >= 1 ? side : null;
        if (mode == ResizeMode.CenterCrop && resize is null)
            throw new FormatException($"{ResizeKey} must be a positive whole number of pixels with {ResizeModeKey} = resize-shorter-side-then-center-crop");
        return (mean, std, new ImageTransform(mode, resize));
    }

    static string Join(float[] values) => string.Join(",", values.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));

    static float[] Parse(string key, string text, int channels)
    {
        var parts = text.Split(',');
        var values = new float[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!float.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]) || !float.IsFinite(values[i]))
                throw new FormatException($"{key} '{text}' is not a comma-separated list of numbers");
        if (values.Length != channels)
            throw new FormatException($"{key} '{text}' has {values.Length} values, the model's input has {channels} channels");
        return values;
    }
}
