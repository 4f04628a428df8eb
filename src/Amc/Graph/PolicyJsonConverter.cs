using System.Text.Json;
using System.Text.Json.Serialization;

namespace Amc.Graph;

/// <summary>
/// A <see cref="Policy"/> in JSON is its widths by group id, [16, 12, ...]: what the search state
/// and results.json held before the type existed, so older files still read. Whether the widths
/// fit a network is checked by whoever reads them against it.
/// </summary>
internal sealed class PolicyJsonConverter : JsonConverter<Policy>
{
    public override Policy Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        Policy.OfWidths(JsonSerializer.Deserialize<int[]>(ref reader, options)
            ?? throw new JsonException("a policy's widths are null"));

    public override void Write(Utf8JsonWriter writer, Policy value, JsonSerializerOptions options) =>
        JsonSerializer.Serialize(writer, value.Widths(), options);
}
