using Amc.Onnx;
using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace Amc.Quantization;

/// <summary>
/// An ONNX graph from another exporter made ready to quantize: ONNX Runtime's basic graph
/// optimizations (constant folding, BatchNormalization folded into the conv before it, redundant
/// nodes such as Identity and Dropout removed) applied and the result read back. Basic
/// optimizations write only standard ONNX ops, so the quantizer sees the convs as they will run.
/// </summary>
public static class GraphPreparation
{
    public static ModelProto Optimize(ModelProto model)
    {
        string path = Path.Combine(Path.GetTempPath(), $"amc-prepared-{Guid.NewGuid():N}.onnx");
        try
        {
            using (var options = OnnxRuntimeSession.Options(1))
            {
                options.GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_BASIC;
                options.OptimizedModelFilePath = path;
                using var session = new InferenceSession(Google.Protobuf.MessageExtensions.ToByteArray(model), options);
            }
            var optimized = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
            // ONNX Runtime keeps metadata; the preprocessing our exports record must survive.
            optimized.MetadataProps.Clear();
            optimized.MetadataProps.AddRange(model.MetadataProps);
            // ONNX does not require node names; the quantizer names what it adds after them and --float refers to them.
            var seen = new HashSet<string>();
            for (int i = 0; i < optimized.Graph.Node.Count; i++)
            {
                var n = optimized.Graph.Node[i];
                if (n.Name == "" || !seen.Add(n.Name))
                {
                    n.Name = $"{n.OpType}_{i}";
                    seen.Add(n.Name);
                }
            }
            return optimized;
        }
        finally { File.Delete(path); }
    }
}
