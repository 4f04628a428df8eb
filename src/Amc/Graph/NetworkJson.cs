using System.Text.Json;
using System.Text.Json.Serialization;

namespace Amc.Graph;

/// <summary>Human-readable JSON for a network description; Read(Write(n)) gives n back exactly.</summary>
public static class NetworkJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
        RespectRequiredConstructorParameters = true,
    };

    public static string Write(Network net) => JsonSerializer.Serialize(net, Options);

    /// <summary>Parses and validates (shape inference) a network; errors are InvalidNetworkException.</summary>
    public static Network Read(string json)
    {
        Network? net;
        try
        {
            net = JsonSerializer.Deserialize<Network>(json, Options);
        }
        catch (JsonException e)
        {
            throw new InvalidNetworkException($"architecture JSON is not valid: {e.Message}");
        }
        if (net is null) throw new InvalidNetworkException("architecture JSON is empty");
        ShapeInference.Infer(net);
        return net;
    }
}
