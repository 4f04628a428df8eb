using System.Text.Json;

namespace Amc.Tests.Cli;

public class ProfileCommandTests
{
    [Fact]
    public void Resnet56_on_cifar_input_has_the_published_125_M_MACs()
    {
        var r = CliRun.Amc("profile", "--model", "resnet56", "--input", "3x32x32", "--json");

        CliAssert.Ok(r);
        var json = JsonDocument.Parse(r.Stdout).RootElement;
        Assert.Equal("3x32x32", json.GetProperty("input").GetString());
        Assert.InRange(json.GetProperty("macs").GetInt64(), 125e6 * 0.99, 125e6 * 1.01);
        // The total is the sum of the per-layer rows the table shows.
        Assert.Equal(json.GetProperty("macs").GetInt64(), json.GetProperty("layers").EnumerateArray().Sum(l => l.GetProperty("macs").GetInt64()));
    }
}
