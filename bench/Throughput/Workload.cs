using Amc.Graph;

/// <summary>One thing to time: a network on an input shape, a training step or an inference, at a batch size.</summary>
sealed record Workload(string Model, TensorShape Input, bool Train, int Batch)
{
    public const int Classes = 10;

    public string Name => Train ? $"train step, batch {Batch}" : $"inference, batch {Batch}";
}
