using Amc.Cli;

Amc.Runtime.MallocTuning.Apply();
return await AmcCli.RunAsync(args);
