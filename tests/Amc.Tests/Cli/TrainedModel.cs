using System.Text.Json;
using Amc.Tests.Data;

namespace Amc.Tests.Cli;

/// <summary>
/// One small checkpoint trained by `amc train` (resnet20 at width 0.25, one epoch on
/// <see cref="TinyIdxData"/>), shared by the tests that need a trained model: training it once
/// keeps the CLI tests within a minute.
/// </summary>
public sealed class TrainedModel : IDisposable
{
    readonly TempFolder temp = new();

    public string Data { get; }
    public string Checkpoint { get; }
    public double TestTop1 { get; }

    public TrainedModel()
    {
        Data = TinyIdxData.Write(temp.File("data"));
        Checkpoint = temp.File("x.amc");
        var r = CliRun.Amc("train", "--model", "resnet20", "--width", "0.25", "--data", Data, "--epochs", "1", "--out", Checkpoint, "--json");
        CliAssert.Ok(r);
        TestTop1 = JsonDocument.Parse(r.Stdout).RootElement.GetProperty("testTop1").GetDouble();
    }

    /// <summary>A path in a fresh folder of this fixture's temp folder.</summary>
    public string NewPath(string name) => Path.Combine(temp.Folder(Guid.NewGuid().ToString("N")[..8]), name);

    public void Dispose() => temp.Dispose();
}

[CollectionDefinition(Name)]
public sealed class TrainedModelCollection : ICollectionFixture<TrainedModel>
{
    public const string Name = "trained model";
}
