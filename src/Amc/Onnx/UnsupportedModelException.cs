namespace Amc.Onnx;

/// <summary>
/// An ONNX model cannot be read into a network description: an op, attribute or tensor outside
/// what the description expresses. The message names the node (or tensor) and what is supported.
/// </summary>
public sealed class UnsupportedModelException(string message) : Exception(message);
