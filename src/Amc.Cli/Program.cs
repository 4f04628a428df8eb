Amc.Runtime.MallocTuning.Apply();
