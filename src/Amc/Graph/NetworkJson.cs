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
        // Kinds by name only: a number would silently pick whichever kind has that index.
        Converters = { new JsonStringEnumConverter(namingPolicy: null, allowIntegerValues: false) },
        RespectRequiredConstructorParameters = true,
        // A null where the description needs a value, or a key given twice (which would silently
        // take the last), is a damaged description, refused with the JSON path.
        RespectNullableAnnotations = true,
        AllowDuplicateProperties = false,
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
        CheckStructure(net);
        ShapeInference.Infer(net);
        return net;
    }

    /// <summary>
    /// What the serializer lets through but shape inference takes for granted: list elements are
    /// not null (nullable annotations do not reach inside lists). The input's shape is checked by
    /// shape inference itself (<see cref="ShapeInference.CheckInput"/>).
    /// </summary>
    static void CheckStructure(Network net)
    {
        for (int i = 0; i < net.Layers.Count; i++)
        {
            var layer = net.Layers[i] ?? throw new InvalidNetworkException($"layers[{i}] is null; every layer must be an object");
            if (layer.Inputs.Any(input => input is null))
                throw new InvalidNetworkException($"layer '{layer.Name}' has a null input; inputs are layer names (or \"{Network.InputName}\")");
        }
    }
}
