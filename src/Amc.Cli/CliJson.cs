using System.Text.Json;

namespace Amc.Cli;

/// <summary>The CLI's --json output is written as the result files are.</summary>
static class CliJson
{
    public static readonly JsonSerializerOptions Options = Amc.Files.ResultJson.Options;
}
