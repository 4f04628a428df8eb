using System.CommandLine;
using Amc.Sessions;

namespace Amc.Cli;

/// <summary>The engine options that choose between ONNX Runtime ("ort") and TorchSharp ("torch") for evaluation.</summary>
public static class EngineOption
{
    public static Option<string> Create(string name, string description)
    {
        var option = new Option<string>(name) { Description = description, DefaultValueFactory = _ => "ort" };
        option.AcceptOnlyFromAmong("ort", "torch");
        return option;
    }

    public static ScoringEngine Parse(string value) => value == "ort" ? ScoringEngine.OnnxRuntime : ScoringEngine.Torch;
}
