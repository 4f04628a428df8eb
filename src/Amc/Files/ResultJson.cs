using System.Text.Json;
using System.Text.Json.Serialization;

namespace Amc.Files;

/// <summary>How result and config files are written (results.json, search-config.json, the CLI's --json): indented, camelCase, enums by name.</summary>
public static class ResultJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter() },
    };
}
