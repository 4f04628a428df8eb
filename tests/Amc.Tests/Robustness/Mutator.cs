using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;

namespace Amc.Tests.Robustness;

/// <summary>
/// Seeded mutations of valid input files, the way files go bad in the wild: flipped bits, cut
/// tails, spliced bytes, and, for the JSON inside a file, fields whose type, size or sign is
/// wrong, removed, duplicated or swapped. Every mutation says what it did, so a failing case
/// can be replayed from its description and seed.
/// </summary>
sealed class Mutator(int seed)
{
    readonly Random rng = new(seed);

    static readonly byte[] Interesting = [0x00, 0xFF, 0x7F, 0x80, 0x01, 0xFE];

    public int Next(int max) => rng.Next(max);

    /// <summary>Byte-level damage, biased towards the first <paramref name="hot"/> bytes (where headers live).</summary>
    public (byte[] Bytes, string What) Bytes(byte[] input, int hot)
    {
        var b = input.ToArray();
        int Pos() => b.Length == 0 ? 0 : rng.Next(2) == 0 ? rng.Next(Math.Min(hot, b.Length)) : rng.Next(b.Length);
        switch (rng.Next(6))
        {
            case 0:
            {
                int flips = 1 + rng.Next(8), at = Pos();
                for (int i = 0; i < flips; i++) b[Math.Min(b.Length - 1, at + rng.Next(16))] ^= (byte)(1 << rng.Next(8));
                return (b, $"{flips} bit flips near byte {at}");
            }
            case 1:
            {
                int len = rng.Next(b.Length);
                return (b[..len], $"truncated to {len} bytes");
            }
            case 2:
            {
                int at = Pos(), n = 1 + rng.Next(4);
                for (int i = 0; i < n && at + i < b.Length; i++) b[at + i] = Interesting[rng.Next(Interesting.Length)];
                return (b, $"{n} bytes at {at} set to extreme values");
            }
            case 3:
            {
                int at = Pos(), n = 1 + rng.Next(64);
                var extra = new byte[n];
                rng.NextBytes(extra);
                return ([.. b[..at], .. extra, .. b[at..]], $"{n} random bytes inserted at {at}");
            }
            case 4:
            {
                int at = Pos(), n = Math.Min(b.Length - at, 1 + rng.Next(64));
                return ([.. b[..at], .. b[(at + n)..]], $"{n} bytes deleted at {at}");
            }
            default:
            {
                int at = Pos(), n = Math.Min(b.Length - at, 1 + rng.Next(64)), to = Pos();
                return ([.. b[..to], .. b.AsSpan(at, n), .. b[to..]], $"{n} bytes from {at} copied to {to}");
            }
        }
    }

    /// <summary>One structural change to a JSON document: a value of another type or size, a removed, duplicated or swapped field.</summary>
    public (string Json, string What) Json(string json)
    {
        var root = JsonNode.Parse(json)!;
        var nodes = new List<(JsonNode? Parent, string? Key, int Index, string Path)>();
        Walk(root, null, null, -1, "$", nodes);
        var (parent, key, index, path) = nodes[rng.Next(nodes.Count)];
        switch (rng.Next(5))
        {
            case 0 when parent is not null:
            {
                var (value, label) = OddValue();
                Set(parent, key, index, value);
                return (root.ToJsonString(), $"{path} = {label}");
            }
            case 1 when parent is JsonObject o:
                o.Remove(key!);
                return (root.ToJsonString(), $"{path} removed");
            case 1 when parent is JsonArray a:
                a.RemoveAt(index);
                return (root.ToJsonString(), $"{path} removed");
            case 2 when parent is JsonObject o:
            {
                // System.Text.Json cannot hold a duplicate key: splice it into the text.
                string text = root.ToJsonString(), member = $"\"{key}\":";
                int at = text.IndexOf(member, StringComparison.Ordinal);
                var (value, label) = OddValue();
                string dup = $"{member}{value?.ToJsonString() ?? "null"},";
                return at < 0 ? (text, "no change") : (text.Insert(at, dup), $"{path} duplicated as {label}");
            }
            case 3:
            {
                var (other, _, _, otherPath) = nodes[rng.Next(nodes.Count)];
                var (p2, k2, i2, _) = nodes.First(n => n.Path == otherPath);
                if (parent is null || p2 is null) goto default;
                var a = Get(parent, key, index)?.DeepClone();
                var b = Get(p2, k2, i2)?.DeepClone();
                Set(parent, key, index, b);
                Set(p2, k2, i2, a);
                return (root.ToJsonString(), $"{path} swapped with {otherPath}");
            }
            default:
            {
                var (value, label) = OddValue();
                if (root is JsonObject r) r[$"extra{rng.Next(100)}"] = value;
                return (root.ToJsonString(), $"extra field {label}");
            }
        }
    }

    (JsonNode? Value, string Label) OddValue() => rng.Next(14) switch
    {
        0 => (null, "null"),
        1 => (JsonValue.Create(0), "0"),
        2 => (JsonValue.Create(-1), "-1"),
        3 => (JsonValue.Create(4294967324L), "2^32+28"),
        4 => (JsonValue.Create(long.MaxValue), "2^63-1"),
        5 => (JsonValue.Create(1e300), "1e300"),
        6 => (JsonValue.Create(0.5), "0.5"),
        7 => (JsonValue.Create("NaN"), "\"NaN\""),
        8 => (JsonValue.Create("x"), "\"x\""),
        9 => (JsonValue.Create(true), "true"),
        10 => (new JsonArray(), "[]"),
        11 => (new JsonObject(), "{}"),
        12 => (new JsonArray(JsonValue.Create(-5), JsonValue.Create(1L << 40)), "[-5, 2^40]"),
        _ => (JsonValue.Create(int.MinValue), "int.MinValue"),
    };

    static void Walk(JsonNode? node, JsonNode? parent, string? key, int index, string path, List<(JsonNode?, string?, int, string)> into)
    {
        into.Add((parent, key, index, path));
        if (node is JsonObject o)
            foreach (var (k, v) in o.ToList()) Walk(v, o, k, -1, $"{path}.{k}", into);
        else if (node is JsonArray a)
            for (int i = 0; i < a.Count; i++) Walk(a[i], a, null, i, $"{path}[{i}]", into);
    }

    static JsonNode? Get(JsonNode parent, string? key, int index) => parent is JsonObject o ? o[key!] : parent.AsArray()[index];

    static void Set(JsonNode parent, string? key, int index, JsonNode? value)
    {
        if (value?.Parent is not null) value = value.DeepClone();
        if (parent is JsonObject o) o[key!] = value;
        else parent.AsArray()[index] = value;
    }

    /// <summary>Text-level damage for line-based formats (YAML): odd indents, sequences, aliases, keys that are not scalars.</summary>
    public (string Text, string What) Yaml(string text)
    {
        var lines = text.Split('\n').ToList();
        int at = rng.Next(lines.Count);
        string[] inserts =
        [
            "? [a, b]\n: 1", "- x", "  - [[1, 2], [3]]", "&a seed: 3", "episodes: *a", "*b", "{a: {b: c}}: 1",
            "seed: [1, [2, 3]]", "seed: {a: 1}", "<<: *a", "seed: !!binary AAAA", "\t- tab", "---", "...", "%YAML 1.2",
            "seed: 99999999999999999999", "seed: .nan", "seed: -.inf", "threads: 0", "\"\": 1", "? !!null\n: 1",
        ];
        switch (rng.Next(3))
        {
            case 0:
            {
                string s = inserts[rng.Next(inserts.Length)];
                lines.Insert(at, s);
                return (string.Join('\n', lines), $"line {at} inserted: {s}");
            }
            case 1:
                lines[at] = new string(' ', rng.Next(5)) + lines[at];
                return (string.Join('\n', lines), $"line {at} indented");
            default:
            {
                var (b, what) = Bytes(Encoding.UTF8.GetBytes(text), text.Length);
                return (Encoding.UTF8.GetString(b), what);
            }
        }
    }

    /// <summary>A safetensors file with its JSON header mutated and the length prefix kept consistent, so the damage reaches the field checks.</summary>
    public (byte[] Bytes, string What) SafeTensorsHeader(byte[] file)
    {
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(file);
        string header = Encoding.UTF8.GetString(file, 8, (int)n);
        var root = JsonNode.Parse(header)!.AsObject();
        string what;
        // Half the time, damage the architecture or info JSON that travels as a string in the metadata.
        if (rng.Next(2) == 0 && root["__metadata__"] is JsonObject meta)
        {
            var keys = meta.Where(kv => kv.Value?.GetValue<string>() is { } s && s.TrimStart().StartsWith('{')).Select(kv => kv.Key).ToList();
            string k = keys[rng.Next(keys.Count)];
            var (inner, innerWhat) = Json(meta[k]!.GetValue<string>());
            meta[k] = inner;
            header = root.ToJsonString();
            what = $"metadata {k}: {innerWhat}";
        }
        else (header, what) = Json(header);
        var bytes = Encoding.UTF8.GetBytes(header);
        var result = new byte[8 + bytes.Length + (file.Length - 8 - (int)n)];
        BinaryPrimitives.WriteUInt64LittleEndian(result, (ulong)bytes.Length);
        bytes.CopyTo(result, 8);
        file.AsSpan(8 + (int)n).CopyTo(result.AsSpan(8 + bytes.Length));
        return (result, "header " + what);
    }
}
