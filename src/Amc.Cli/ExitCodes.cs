using Amc.Data;
using Amc.Graph;
using Amc.Torch;

namespace Amc.Cli;

/// <summary>0 success, 2 bad usage or bad input (one line, no stack trace), 1 anything else.</summary>
public static class ExitCodes
{
    public const int Ok = 0, Failure = 1, BadInput = 2;

    public static bool IsBadInput(Exception e) => e is UsageException or InvalidNetworkException or CheckpointException
        or Amc.Sessions.SettingsException or DataFormatException or Amc.Pruning.PolicyException or Amc.Onnx.UnsupportedModelException or Amc.Training.TrainingDivergedException or FileNotFoundException or DirectoryNotFoundException
        or Amc.Distributed.ClusterException;

    /// <summary>"error: message" on one line: messages may quote file contents that hold line breaks.</summary>
    public static string OneLine(string message) => "error: " + message.ReplaceLineEndings(" ").Trim();
}
