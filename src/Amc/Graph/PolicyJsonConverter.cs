using System.Text.Json;
using System.Text.Json.Serialization;

namespace Amc.Graph;

/// <summary>
/// A <see cref="Policy"/> in JSON is its widths by group id, [16, 12, ...]: what the search state
/// and results.json held before the type existed, so older files still read. A policy with int8
/// groups (a mixed-precision search) is {"widths": [...], "int8": [group ids]}. Whether the widths
/// fit a network is checked by whoever reads them against it.
/// </summary>
internal sealed class PolicyJsonConverter : JsonConverter<Policy>
{
    sealed record Mixed(int[] Widths, int[] Int8);

    public override Policy Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
            return Policy.OfWidths(JsonSerializer.Deserialize<int[]>(ref reader, options)
                ?? throw new JsonException("a policy's widths are null"));
        var mixed = JsonSerializer.Deserialize<Mixed>(ref reader, Web) ?? throw new JsonException("a policy is null");
        if (mixed.Widths is null || mixed.Int8 is null) throw new JsonException("a mixed-precision policy needs \"widths\" and \"int8\"");
        if (mixed.Int8.Any(g => g < 0 || g >= mixed.Widths.Length))
            throw new JsonException($"a policy's int8 groups must be group ids below {mixed.Widths.Length}");
        return Policy.OfWidths(mixed.Widths).WithInt8(mixed.Int8);
    }

    public override void Write(Utf8JsonWriter writer, Policy value, JsonSerializerOptions options)
    {
        var int8 = value.Int8Groups();
        if (int8.Length == 0) JsonSerializer.Serialize(writer, value.Widths(), options);
        else JsonSerializer.Serialize(writer, new Mixed(value.Widths(), int8), Web);
    }

    static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);
}
