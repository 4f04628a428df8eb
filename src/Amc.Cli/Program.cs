using Amc.Cli;

Amc.Runtime.MallocTuning.Apply();
// First, while this is the only thread that could read the environment it changes.
Amc.Deploy.OnnxRuntimeEnvironment.DisableTelemetry();
return await AmcCli.RunAsync(args);
