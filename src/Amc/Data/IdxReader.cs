using System.Buffers.Binary;
using System.IO.Compression;
using Amc.Graph;

namespace Amc.Data;

/// <summary>
/// Reads MNIST-style IDX files (Fashion-MNIST, MNIST, KMNIST): an images file (magic 0x00000803:
/// uint8, 3 dimensions: count, rows, cols) and a labels file (magic 0x00000801: uint8, 1 dimension),
/// each gzipped or raw. Gzip is recognised by its magic bytes, not by the file name, because
/// downloads are often unpacked without being renamed or renamed without being unpacked.
/// </summary>
internal static class IdxReader
{
    const int ImagesMagic = 0x00000803;
    const int LabelsMagic = 0x00000801;

    /// <summary>Reads an images/labels pair; Mean and Std are those of these images.</summary>
    public static Dataset Read(string imagesPath, string labelsPath, string name)
        => Read(ReadFile(imagesPath), imagesPath, ReadFile(labelsPath), labelsPath, name);

    /// <summary>Same as <see cref="Read(string,string,string)"/> from file contents already in
    /// memory; the source names only appear in error messages.</summary>
    internal static Dataset Read(byte[] imagesFile, string imagesSource, byte[] labelsFile, string labelsSource, string name)
    {
        var images = Decompress(imagesFile, imagesSource);
        var labels = Decompress(labelsFile, labelsSource);

        var imageDims = ReadHeader(images, imagesSource, ImagesMagic, "images");
        var labelDims = ReadHeader(labels, labelsSource, LabelsMagic, "labels");
        int count = imageDims[0], rows = imageDims[1], cols = imageDims[2];
        if (rows <= 0 || cols <= 0)
            throw new DataFormatException(imagesSource, $"header gives an image size of {rows}x{cols}");
        // Checked before any product is formed in int (or, for three header values, in long).
        if ((long)rows * cols > Array.MaxLength)
            throw new DataFormatException(imagesSource, $"header gives an image size of {rows}x{cols}, more pixels than one image can have");
        if (count == 0)
            throw new DataFormatException(imagesSource, "header announces 0 images; a data set needs at least one");

        long headerBytes = 4 + 4L * imageDims.Length;
        CheckLength(images, imagesSource, headerBytes, count * ((long)rows * cols), $"{count} images of {rows}x{cols}");
        CheckLength(labels, labelsSource, 8, labelDims[0], $"{labelDims[0]} labels");
        if (labelDims[0] != count)
            throw new DataFormatException(labelsSource,
                $"has {labelDims[0]} labels but {imagesSource} has {count} images",
                "Check that the two files belong to the same split (train-* with train-*, t10k-* with t10k-*)");

        var pixels = images.AsSpan((int)headerBytes, count * rows * cols).ToArray();
        var labelValues = new int[count];
        for (int i = 0; i < count; i++)
            labelValues[i] = labels[8 + i];

        var shape = new TensorShape(1, rows, cols);
        var (mean, std) = ChannelStatistics.Compute(pixels, shape);
        int classes = count == 0 ? 0 : labelValues.Max() + 1;
        return new Dataset(name, pixels, labelValues, shape, classes, mean, std);
    }

    static byte[] ReadFile(string path)
    {
        if (!File.Exists(path))
            throw new DataFormatException(path, "file not found");
        long length = new FileInfo(path).Length;
        if (length > Array.MaxLength)
            throw new DataFormatException(path, $"is {length} bytes; a data file can have at most {Array.MaxLength}");
        return File.ReadAllBytes(path);
    }

    /// <summary>The file's bytes, unpacked if gzipped, at most <paramref name="limit"/> of them.</summary>
    internal static byte[] Decompress(byte[] file, string source, long limit = long.MaxValue)
    {
        limit = Math.Min(limit, Array.MaxLength);
        if (file.Length < 2 || file[0] != 0x1f || file[1] != 0x8b)
            return file;
        try
        {
            using var gzip = new GZipStream(new MemoryStream(file), CompressionMode.Decompress);
            using var result = new MemoryStream();
            // Copied with a limit: a damaged or hostile stream can claim to unpack to any size.
            var buffer = new byte[81920];
            for (int n; (n = gzip.Read(buffer)) > 0;)
            {
                if (result.Length + n > limit)
                    throw new DataFormatException(source, $"gzip data unpacks to more than {limit} bytes, more than a data file can have");
                result.Write(buffer, 0, n);
            }
            return result.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new DataFormatException(source, $"gzip data is corrupt or truncated ({e.Message})",
                "Download the file again", e);
        }
    }

    /// <summary>Returns the dimension sizes after checking the magic number.</summary>
    static int[] ReadHeader(byte[] data, string source, int expectedMagic, string kind)
    {
        if (data.Length < 4)
            throw new DataFormatException(source, $"truncated: {data.Length} bytes, too short for an IDX header");
        int magic = BinaryPrimitives.ReadInt32BigEndian(data);
        if (magic != expectedMagic)
        {
            string problem = magic switch
            {
                ImagesMagic => $"is an IDX images file (magic 0x{magic:X8}) where a {kind} file was expected",
                LabelsMagic => $"is an IDX labels file (magic 0x{magic:X8}) where an {kind} file was expected",
                _ when (magic >>> 16) == 0 && (magic & 0xff00) != 0x0800 =>
                    $"is an IDX file of element type 0x{(magic >> 8) & 0xff:X2}; only uint8 (0x08) is supported",
                _ => $"magic number 0x{magic:X8} is not that of an IDX {kind} file (0x{expectedMagic:X8})",
            };
            throw new DataFormatException(source, problem,
                "Pass the *-images-idx3-ubyte file as images and the *-labels-idx1-ubyte file as labels");
        }
        int rank = expectedMagic & 0xff;
        if (data.Length < 4 + 4 * rank)
            throw new DataFormatException(source, $"truncated: {data.Length} bytes, the IDX header needs {4 + 4 * rank}");
        var dims = new int[rank];
        for (int d = 0; d < rank; d++)
        {
            dims[d] = BinaryPrimitives.ReadInt32BigEndian(data.AsSpan(4 + 4 * d));
            if (dims[d] < 0)
                throw new DataFormatException(source, $"header dimension {d} is negative ({dims[d]})");
        }
        return dims;
    }

    static void CheckLength(byte[] data, string source, long headerBytes, long bodyBytes, string what)
    {
        long actual = data.Length - headerBytes;
        if (actual < bodyBytes)
            throw new DataFormatException(source,
                $"truncated: the header announces {what} ({bodyBytes} bytes) but only {actual} bytes follow",
                "Download the file again");
        if (actual > bodyBytes)
            throw new DataFormatException(source,
                $"has {actual - bodyBytes} bytes after the {what} its header announces");
    }
}
