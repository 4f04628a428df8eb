namespace Amc.Graph;

/// <summary>The network description is inconsistent; the message names the layer and the problem.</summary>
public sealed class InvalidNetworkException(string message) : Exception(message);
