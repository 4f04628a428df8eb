/// <summary>One workload's throughput per backend, with the checks that the backends ran the same network.</summary>
sealed record ResultRow(Workload Workload, IReadOnlyDictionary<string, Throughput> Results, long Params, long? PyTorchParams,
    double OnnxMaxDifference, double LargestLogit);

/// <summary>How and where the run was made.</summary>
sealed record RunInfo(DateTime Started, string Command, string Configuration, int Threads, TimingSettings Settings, bool Quick,
    double? LoadBefore, string? PyTorch, string? NoPyTorchReason);
