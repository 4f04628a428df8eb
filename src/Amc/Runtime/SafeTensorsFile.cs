using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace Amc.Runtime;

/// <summary>
/// Reads and writes the safetensors format (an 8-byte header length, a JSON header, raw
/// little-endian data), float32 only, with a string metadata map. Written by hand rather than
/// through TorchSharp.PyBridge because we need the metadata map (the architecture travels in it)
/// and a strict reader that reports truncation and bad offsets instead of crashing; the format is
/// plain data, so loading never executes code.
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
        var blobs = new List<byte[]>();
        foreach (var (name, t) in tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            using var cpu = t.detach().cpu().to_type(ScalarType.Float32).contiguous();
            var bytes = MemoryMarshal.AsBytes(cpu.data<float>().ToArray().AsSpan()).ToArray();
            header[name] = new JsonObject
            {
                ["dtype"] = "F32",
                ["shape"] = new JsonArray(cpu.shape.Select(d => (JsonNode)JsonValue.Create(d)!).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + bytes.Length),
            };
            blobs.Add(bytes);
            offset += bytes.Length;
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
            foreach (var b in blobs) stream.Write(b);
        });
    }

    public static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) Read(string path)
    {
        if (!File.Exists(path)) throw new CheckpointException($"{path}: file not found");
        var data = File.ReadAllBytes(path);
        if (data.Length < 8) throw new CheckpointException($"{path}: file is truncated ({data.Length} bytes); it is not a complete checkpoint");
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(data);
        if (n > (ulong)(data.Length - 8)) throw new CheckpointException($"{path}: not a safetensors checkpoint, or truncated (header says {n} bytes, file has {data.Length - 8})");
        JsonObject header;
        try
        {
            header = JsonNode.Parse(Encoding.UTF8.GetString(data, 8, (int)n))?.AsObject()
                     ?? throw new CheckpointException($"{path}: empty header");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException)
        {
            throw new CheckpointException($"{path}: not a safetensors checkpoint (header is not JSON)");
        }
        long dataStart = 8 + (long)n, dataLength = data.Length - dataStart;
        var tensors = new Dictionary<string, Tensor>();
        var metadata = new Dictionary<string, string>();
        foreach (var (name, node) in header)
        {
            if (name == "__metadata__")
            {
                foreach (var (k, v) in node!.AsObject()) metadata[k] = v?.GetValue<string>() ?? "";
                continue;
            }
            var o = node!.AsObject();
            string dtype = o["dtype"]!.GetValue<string>();
            if (dtype != "F32") throw new CheckpointException($"{path}: tensor '{name}' is {dtype}; only F32 is supported");
            var shape = o["shape"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
            var offs = o["data_offsets"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
            long count = shape.Aggregate(1L, (a, b) => a * b);
            if (offs.Length != 2 || offs[0] < 0 || offs[1] < offs[0] || offs[1] - offs[0] != count * 4)
                throw new CheckpointException($"{path}: tensor '{name}' has inconsistent offsets");
            if (offs[1] > dataLength)
                throw new CheckpointException($"{path}: file is truncated (tensor '{name}' ends at byte {dataStart + offs[1]}, file has {data.Length})");
            var floats = MemoryMarshal.Cast<byte, float>(data.AsSpan((int)(dataStart + offs[0]), (int)(offs[1] - offs[0]))).ToArray();
            tensors[name] = tensor(floats, shape);
        }
        return (tensors, metadata);
    }
}
