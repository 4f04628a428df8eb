using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace Amc.Onnx;

/// <summary>
/// Runs a single-input, single-output ONNX classifier in ONNX Runtime (CPU) on an NCHW float
/// batch. Its threads do not spin while idle: spinning ones keep cores busy after a run and slow
/// the TorchSharp work that follows in the same process.
/// </summary>
public sealed class OnnxRuntimeSession : IDisposable
{
    readonly InferenceSession session;
    readonly RunOptions runOptions = new();
    readonly string[] inputNames, outputNames;

    public string InputName => inputNames[0];
    public string OutputName => outputNames[0];

    /// <summary>C, H, W of one sample, from the model's input.</summary>
    public int[] SampleShape { get; }

    /// <param name="intraOpThreads">Threads for one op; 0 lets ONNX Runtime choose (one per core).</param>
    /// <param name="optimize">Off runs the graph as written (see <see cref="OnnxBatchNormCalibration"/> for why).</param>
    public OnnxRuntimeSession(byte[] model, int intraOpThreads = 0, bool optimize = true)
    {
        using var options = Options(intraOpThreads);
        if (!optimize) options.GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL;
        session = new InferenceSession(model, options);
        if (session.InputMetadata.Count != 1 || session.OutputMetadata.Count != 1)
        {
            session.Dispose();
            throw new ArgumentException($"the model has {session.InputMetadata.Count} inputs and {session.OutputMetadata.Count} outputs; one of each is needed");
        }
        inputNames = [.. session.InputMetadata.Keys];
        outputNames = [.. session.OutputMetadata.Keys];
        var dims = session.InputMetadata[InputName].Dimensions;
        if (dims.Length != 4 || dims.Skip(1).Any(d => d <= 0))
        {
            session.Dispose();
            throw new ArgumentException($"the model input '{InputName}' is [{string.Join(", ", dims)}]; [N, C, H, W] with fixed C, H, W is needed");
        }
        SampleShape = dims[1..];
    }

    /// <summary>The options every session here runs with: all graph optimizations, sequential, no spinning.</summary>
    public static SessionOptions Options(int intraOpThreads)
    {
        // Before anything creates ONNX Runtime's environment: creating it starts its telemetry.
        _ = OnnxRuntimeEnvironment.Instance;
        var options = new SessionOptions
        {
            IntraOpNumThreads = intraOpThreads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        options.AddSessionConfigEntry("session.inter_op.allow_spinning", "0");
        return options;
    }

    public OnnxRuntimeSession(ModelProto model, int intraOpThreads = 0, bool optimize = true) : this(model.ToByteArray(), intraOpThreads, optimize) { }

    public static OnnxRuntimeSession FromFile(string path, int intraOpThreads = 0) => new(File.ReadAllBytes(path), intraOpThreads);

    /// <summary>Runs <paramref name="batch"/> samples laid out NCHW; returns the outputs row by row (batch x classes).</summary>
    public float[] Run(float[] input, int batch)
    {
        long sample = (long)SampleShape[0] * SampleShape[1] * SampleShape[2];
        if (batch <= 0 || input.Length != batch * sample)
            throw new ArgumentException($"input holds {input.Length} values; {batch} samples of {string.Join("x", SampleShape)} need {batch * sample}");
        using var x = OrtValue.CreateTensorValueFromMemory(input, [batch, SampleShape[0], SampleShape[1], SampleShape[2]]);
        using var outputs = session.Run(runOptions, inputNames, [x], outputNames);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    /// <summary>Runs a model whose input is uint8 (an int8 layer between int8 neighbours, for timing); its output is not read.</summary>
    public void RunBytes(byte[] input, int batch)
    {
        using var x = OrtValue.CreateTensorValueFromMemory(input, [batch, SampleShape[0], SampleShape[1], SampleShape[2]]);
        using var outputs = session.Run(runOptions, inputNames, [x], outputNames);
    }

    public void Dispose()
    {
        session.Dispose();
        runOptions.Dispose();
    }
}
