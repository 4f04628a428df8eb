using System.Text.Json;

namespace Amc.Files;

/// <summary>
/// Reading is strict where writing is plain: files the tool wrote itself (caches, search states,
/// episode logs) are read back refusing a null where a value is needed, a missing record field and
/// a key given twice (which would silently take the last), so a damaged file is reported as
/// damaged instead of failing later.
/// </summary>
internal static class StrictJson
{
    /// <summary>The options a file was written with, made strict for reading it back.</summary>
    public static JsonSerializerOptions ForReading(JsonSerializerOptions? written = null) =>
        new(written ?? JsonSerializerOptions.Default)
        {
            RespectNullableAnnotations = true,
            RespectRequiredConstructorParameters = true,
            AllowDuplicateProperties = false,
        };
}
