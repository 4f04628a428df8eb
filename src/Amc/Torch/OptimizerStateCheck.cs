using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Amc.Torch;

/// <summary>
/// Checks the bytes of a TorchSharp optimizer state (what Optimizer.save_state_dict writes) against
/// the optimizer they are about to be loaded into, before TorchSharp reads them. TorchSharp's
/// reader trusts the bytes: it sizes a state tensor by the shape it finds (a damaged file can ask
/// for any amount of memory), reads a truncated tensor without a word, and accepts the state of
/// another network until a later step fails inside libtorch. Walking the same layout here first
/// turns each of those into a message.
/// </summary>
/// <remarks>
/// The layout (TorchSharp 0.107): the optimizer's type name (a .NET length-prefixed string), the
/// number of parameter groups and of parameter states (LEB128), each group's options (doubles and
/// bools, fixed per optimizer), then each parameter's state in parameter order. A tensor is its
/// dtype, rank and dims (LEB128), then its raw data. SGD's state is an optional momentum buffer;
/// Adam's a step count, two moment tensors and an optional third (amsgrad). The round-trip tests
/// save real states of both and check they pass, so a change of the layout shows there.
/// </remarks>
internal static class OptimizerStateCheck
{
    /// <summary>Null when the bytes are a complete state of this optimizer's type over parameters of its shapes; otherwise what is wrong.</summary>
    public static string? Problem(byte[] bytes, optim.Optimizer optimizer)
    {
        var (options, state) = optimizer switch
        {
            TorchSharp.Modules.SGD => (new Layout(Doubles: 5, Bools: 2), (Action<Reader, long[]>)SgdState),
            TorchSharp.Modules.Adam => (new Layout(Doubles: 6, Bools: 2), AdamState),
            _ => throw new NotSupportedException($"no state check for {optimizer.GetType().Name}"),
        };
        var shapes = optimizer.parameters().Select(p => p.shape).ToList();
        int groups = optimizer.ParamGroups.Count();
        var r = new Reader(bytes);
        try
        {
            string name = r.String();
            if (name != optimizer.GetType().Name) return $"holds the state of a {Quote(name)} optimizer, not of {optimizer.GetType().Name}";
            long groupCount = r.Count(), stateCount = r.Count();
            if (groupCount != groups) return $"has {groupCount} parameter groups, the optimizer {groups}";
            if (stateCount != shapes.Count) return $"has the state of {stateCount} parameters, this network has {shapes.Count}; is it the state of another network?";
            for (int g = 0; g < groups; g++)
            {
                r.Skip(8L * options.Doubles, "options");
                for (int b = 0; b < options.Bools; b++) r.Bool();
            }
            for (int i = 0; i < shapes.Count; i++)
            {
                r.Parameter = i;
                state(r, shapes[i]);
            }
            if (!r.AtEnd) return $"has {r.Remaining} bytes after the last parameter's state";
            return null;
        }
        catch (InvalidDataException e)
        {
            return e.Message;
        }
    }

    sealed record Layout(int Doubles, int Bools);

    static void SgdState(Reader r, long[] shape)
    {
        if (r.Bool()) r.Tensor(shape, "momentum buffer");
    }

    static void AdamState(Reader r, long[] shape)
    {
        r.Skip(8, "step count");
        r.Tensor(shape, "first moment");
        r.Tensor(shape, "second moment");
        if (r.Bool()) r.Tensor(shape, "max second moment");
    }

    static string Quote(string name) => name.Length <= 40 ? $"'{name}'" : $"'{name[..37]}...'";

    /// <summary>A cursor over the bytes; anything inconsistent throws InvalidDataException with the problem.</summary>
    sealed class Reader(byte[] bytes)
    {
        int at;
        public int Parameter { get; set; } = -1;
        public bool AtEnd => at == bytes.Length;
        public int Remaining => bytes.Length - at;

        string Where => Parameter < 0 ? "" : $" (state of parameter {Parameter})";

        InvalidDataException Truncated(string what) => new($"is truncated: it ends inside the {what}{Where}");

        public void Skip(long count, string what)
        {
            if (count > Remaining) throw Truncated(what);
            at += (int)count;
        }

        public bool Bool()
        {
            if (Remaining < 1) throw Truncated("flags");
            byte b = bytes[at++];
            return b switch { 0 => false, 1 => true, _ => throw new InvalidDataException($"is damaged: a flag byte is {b}{Where}") };
        }

        /// <summary>LEB128 as TorchSharp writes it: 7 bits a byte, low first; at most 9 bytes (63 bits).</summary>
        public long Count()
        {
            long value = 0;
            for (int i = 0; i < 9; i++)
            {
                if (Remaining < 1) throw Truncated("header");
                byte b = bytes[at++];
                value |= (long)(b & 0x7f) << (7 * i);
                if ((b & 0x80) == 0) return value;
            }
            throw new InvalidDataException($"is damaged: a count does not end{Where}");
        }

        /// <summary>A .NET BinaryWriter string: its UTF-8 length as a 7-bit encoded int, then the bytes.</summary>
        public string String()
        {
            long length = 0;
            for (int i = 0; ; i++)
            {
                if (i == 5) throw new InvalidDataException("is not an optimizer state (its first bytes are not a type name)");
                if (Remaining < 1) throw Truncated("type name");
                byte b = bytes[at++];
                length |= (long)(b & 0x7f) << (7 * i);
                if ((b & 0x80) == 0) break;
            }
            if (length > Remaining) throw new InvalidDataException("is not an optimizer state, or is truncated (its type name runs past the end)");
            try
            {
                var text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes, at, (int)length);
                at += (int)length;
                return text;
            }
            catch (DecoderFallbackException)
            {
                throw new InvalidDataException("is not an optimizer state (its type name is not text)");
            }
        }

        /// <summary>A float32 tensor that must have the parameter's shape; its data is skipped, not read.</summary>
        public void Tensor(long[] shape, string what)
        {
            long type = Count();
            if (type != (long)ScalarType.Float32)
                throw new InvalidDataException($"is damaged or of another network: the {what}{Where} has element type {type}, float32 ({(int)ScalarType.Float32}) expected");
            long rank = Count();
            if (rank != shape.Length)
                throw new InvalidDataException($"is of another network: the {what}{Where} has {rank} dimensions, the parameter [{string.Join(", ", shape)}]");
            var dims = new long[rank];
            for (int d = 0; d < rank; d++) dims[d] = Count();
            if (!dims.SequenceEqual(shape))
                throw new InvalidDataException($"is of another network: the {what}{Where} has shape [{string.Join(", ", dims)}], the parameter [{string.Join(", ", shape)}]");
            Skip(shape.Aggregate(1L, (a, b) => a * b) * sizeof(float), what);
        }
    }
}
