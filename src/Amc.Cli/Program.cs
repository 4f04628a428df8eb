using Amc.Cli;

Amc.Host.MallocTuning.Apply();
// First, while this is the only thread that could read the environment it changes.
Amc.Onnx.OnnxRuntimeEnvironment.DisableTelemetry();
return await AmcCli.RunAsync(args);
