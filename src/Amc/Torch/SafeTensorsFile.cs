using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using static TorchSharp.torch;
using Amc.Files;

namespace Amc.Torch;

/// <summary>
/// Reads and writes the safetensors format (an 8-byte header length, a JSON header, raw
/// little-endian data), float32 (float64 tensors stay float64: the Gram matrices workers read),
/// with a string metadata map. Written by hand rather than through TorchSharp.PyBridge because we
/// need the metadata map (the architecture travels in it) and a strict reader that reports
/// truncation and bad offsets instead of crashing; the format is plain data, so loading never
/// executes code.
/// </summary>
public static class SafeTensorsFile
{
    public static void Write(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        var header = new JsonObject();
        var meta = new JsonObject();
        foreach (var (k, v) in metadata) meta[k] = v;
        header["__metadata__"] = meta;
        long offset = 0;
        var ordered = tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList();
        foreach (var (name, t) in ordered)
        {
            bool f64 = Stored(t) == ScalarType.Float64;
            long bytes = t.numel() * (f64 ? sizeof(double) : sizeof(float));
            header[name] = new JsonObject
            {
                ["dtype"] = f64 ? "F64" : "F32",
                ["shape"] = new JsonArray(t.shape.Select(d => (JsonNode)JsonValue.Create(d)!).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + bytes),
            };
            offset += bytes;
        }
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        int pad = (8 - json.Length % 8) % 8;
        var headerBytes = new byte[json.Length + pad];
        json.CopyTo(headerBytes, 0);
        for (int i = json.Length; i < headerBytes.Length; i++) headerBytes[i] = (byte)' ';

        AtomicFile.Write(path, stream =>
        {
            Span<byte> len = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)headerBytes.Length);
            stream.Write(len);
            stream.Write(headerBytes);
            // One tensor's bytes at a time: a file of Gram matrices can be a gigabyte.
            foreach (var (_, t) in ordered)
            {
                // The scope holds the chain's temporaries: one left to the finalizer can be freed
                // during the next native call that reads it (a segfault in a 600-episode search).
                using var scope = NewDisposeScope();
                var cpu = t.detach().cpu().to_type(Stored(t)).contiguous();
                if (cpu.numel() > 0) stream.Write(cpu.bytes);
            }
        });
    }

    /// <summary>The type a tensor is written in: float64 stays, everything else is float32.</summary>
    static ScalarType Stored(Tensor t) => t.dtype == ScalarType.Float64 ? ScalarType.Float64 : ScalarType.Float32;

    /// <summary>
    /// Reads a file written by <see cref="Write"/> (or any F32 or F64 safetensors file). Every field of the
    /// header is checked (type, range, duplicates) and every byte count against the file's length
    /// before anything is allocated: a damaged or hostile file is a <see cref="CheckpointException"/>
    /// naming the file and the field, never a crash or a huge allocation.
    /// </summary>
    public static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) Read(string path)
    {
        if (!File.Exists(path)) throw new CheckpointException($"{path}: file not found");
        long size = new FileInfo(path).Length;
        if (size > Array.MaxLength) throw new CheckpointException($"{path}: is {size} bytes; checkpoints of more than {Array.MaxLength} bytes are not supported");
        var data = File.ReadAllBytes(path);
        if (data.Length < 8) throw new CheckpointException($"{path}: file is truncated ({data.Length} bytes); it is not a complete checkpoint");
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(data);
        if (n > (ulong)(data.Length - 8)) throw new CheckpointException($"{path}: not a safetensors checkpoint, or truncated (header says {n} bytes, file has {data.Length - 8})");
        using var header = ParseHeader(path, data.AsMemory(8, (int)n));
        long dataStart = 8 + (long)n, dataLength = data.Length - dataStart;

        var metadata = new Dictionary<string, string>();
        var entries = new List<Entry>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in header.RootElement.EnumerateObject())
        {
            if (!names.Add(p.Name)) throw Bad(path, $"the header lists '{p.Name}' twice");
            if (p.Name == MetadataKey) metadata = Metadata(path, p.Value);
            else entries.Add(ReadEntry(path, p.Name, p.Value));
        }
        foreach (var e in entries)
            if (e.End > dataLength)
                throw new CheckpointException($"{path}: file is truncated (tensor '{e.Name}' ends at byte {dataStart + e.End}, file has {data.Length})");
        // As the format requires (and the reference reader checks): the tensors tile the data
        // exactly, without holes, overlaps or trailing bytes. Sorted by start, zero-size ones first.
        long covered = 0;
        foreach (var e in entries.OrderBy(e => e.Begin).ThenBy(e => e.End))
        {
            if (e.Begin < covered) throw Bad(path, $"tensor '{e.Name}' (data_offsets [{e.Begin}, {e.End}]) overlaps another tensor's bytes");
            if (e.Begin > covered) throw Bad(path, $"data bytes {covered} to {e.Begin} belong to no tensor (before tensor '{e.Name}')");
            covered = e.End;
        }
        if (covered != dataLength) throw Bad(path, $"{dataLength - covered} bytes after the last tensor's data belong to no tensor");

        var tensors = new Dictionary<string, Tensor>();
        foreach (var e in entries)
        {
            var bytes = data.AsSpan((int)(dataStart + e.Begin), (int)(e.End - e.Begin));
            tensors[e.Name] = e.Float64 ? tensor(MemoryMarshal.Cast<byte, double>(bytes).ToArray(), e.Shape)
                : tensor(MemoryMarshal.Cast<byte, float>(bytes).ToArray(), e.Shape);
        }
        return (tensors, metadata);
    }

    const string MetadataKey = "__metadata__";

    /// <summary>One tensor's header entry, checked: Begin..End is exactly the shape's F32 (or F64) bytes.</summary>
    sealed record Entry(string Name, long[] Shape, long Begin, long End, bool Float64);

    static JsonDocument ParseHeader(string path, ReadOnlyMemory<byte> bytes)
    {
        string text;
        try
        {
            text = StrictUtf8.GetString(bytes.Span);
        }
        catch (DecoderFallbackException)
        {
            throw new CheckpointException($"{path}: not a safetensors checkpoint (header is not UTF-8 text)");
        }
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(text);
        }
        catch (JsonException)
        {
            throw new CheckpointException($"{path}: not a safetensors checkpoint (header is not JSON)");
        }
        if (doc.RootElement.ValueKind != JsonValueKind.Object)
        {
            var kind = doc.RootElement.ValueKind;
            doc.Dispose();
            throw new CheckpointException($"{path}: not a safetensors checkpoint (header is a JSON {Kind(kind)}, not an object)");
        }
        return doc;
    }

    static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    static Dictionary<string, string> Metadata(string path, JsonElement node)
    {
        if (node.ValueKind != JsonValueKind.Object)
            throw Bad(path, $"{MetadataKey} must be an object of strings, got {Show(node)}");
        var result = new Dictionary<string, string>();
        foreach (var p in node.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.String)
                throw Bad(path, $"{MetadataKey} '{p.Name}' must be a string, got {Show(p.Value)}");
            if (!result.TryAdd(p.Name, p.Value.GetString()!))
                throw Bad(path, $"{MetadataKey} lists '{p.Name}' twice");
        }
        return result;
    }

    static Entry ReadEntry(string path, string name, JsonElement node)
    {
        if (node.ValueKind != JsonValueKind.Object)
            throw Bad(path, $"tensor '{name}' must be an object with dtype, shape and data_offsets, got {Show(node)}");
        JsonElement? dtype = null, shape = null, offsets = null;
        var fields = new HashSet<string>(StringComparer.Ordinal);
        foreach (var f in node.EnumerateObject())
        {
            if (!fields.Add(f.Name)) throw Bad(path, $"tensor '{name}' lists '{f.Name}' twice");
            switch (f.Name)
            {
                case "dtype": dtype = f.Value; break;
                case "shape": shape = f.Value; break;
                case "data_offsets": offsets = f.Value; break;
                // Other fields are ignored, as the reference reader does.
            }
        }
        if (dtype is not { } d) throw Bad(path, $"tensor '{name}' has no dtype");
        if (d.ValueKind != JsonValueKind.String) throw Bad(path, $"tensor '{name}' dtype must be a string, got {Show(d)}");
        bool f64 = d.GetString() == "F64";
        if (d.GetString() != "F32" && !f64) throw new CheckpointException($"{path}: tensor '{name}' is {d.GetString()}; only F32 and F64 are supported");
        if (shape is not { } s) throw Bad(path, $"tensor '{name}' has no shape");
        var dims = Integers(s) ?? throw Bad(path, $"tensor '{name}' shape must be an array of whole numbers >= 0, got {Show(s)}");
        if (offsets is not { } o) throw Bad(path, $"tensor '{name}' has no data_offsets");
        var offs = Integers(o);
        if (offs is not { Length: 2 }) throw Bad(path, $"tensor '{name}' data_offsets must be two whole numbers >= 0 [begin, end], got {Show(o)}");
        long bytes;
        try
        {
            bytes = checked(dims.Aggregate(1L, (a, b) => a * b) * (f64 ? sizeof(double) : sizeof(float)));
        }
        catch (OverflowException)
        {
            throw Bad(path, $"tensor '{name}' shape [{string.Join(", ", dims)}] is too large for any file");
        }
        if (offs[1] < offs[0] || offs[1] - offs[0] != bytes)
            throw Bad(path, $"tensor '{name}' has inconsistent offsets: data_offsets [{offs[0]}, {offs[1]}] hold {offs[1] - offs[0]} bytes, its shape [{string.Join(", ", dims)}] needs {bytes}");
        return new Entry(name, dims, offs[0], offs[1], f64);
    }

    /// <summary>The array's elements if all are whole numbers in 0..long.MaxValue; otherwise null.</summary>
    static long[]? Integers(JsonElement node)
    {
        if (node.ValueKind != JsonValueKind.Array) return null;
        var result = new long[node.GetArrayLength()];
        int i = 0;
        foreach (var e in node.EnumerateArray())
        {
            if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt64(out var v) || v < 0) return null;
            result[i++] = v;
        }
        return result;
    }

    static CheckpointException Bad(string path, string problem) =>
        new($"{path}: damaged safetensors header: {problem}");

    /// <summary>A JSON value as a message quotes it: short, on one line.</summary>
    static string Show(JsonElement node)
    {
        var text = node.GetRawText().ReplaceLineEndings(" ");
        return text.Length <= 40 ? text : text[..37] + "...";
    }

    static string Kind(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        JsonValueKind.Null => "null",
        _ => kind.ToString().ToLowerInvariant(),
    };
}
