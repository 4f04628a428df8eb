using System.Buffers.Binary;
using System.IO.Compression;
using SkiaSharp;

namespace Amc.Tests.Data;

/// <summary>Writes small data files in the real on-disk formats, for the readers to read back.</summary>
static class DataFiles
{
    public static byte[] IdxImages(int count, int rows, int cols, Func<int, int, byte> pixel)
    {
        var data = new byte[16 + count * rows * cols];
        BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(0), 0x00000803);
        BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(8), rows);
        BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(12), cols);
        for (int i = 0; i < count; i++)
            for (int p = 0; p < rows * cols; p++)
                data[16 + i * rows * cols + p] = pixel(i, p);
        return data;
    }

    public static byte[] IdxLabels(params byte[] labels)
    {
        var data = new byte[8 + labels.Length];
        BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(0), 0x00000801);
        BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(4), labels.Length);
        labels.CopyTo(data, 8);
        return data;
    }

    public static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
            gzip.Write(data);
        return output.ToArray();
    }

    /// <summary>Pixel value of image i at flat position p in the IDX test sets.</summary>
    public static byte IdxPixel(int i, int p) => (byte)(i * 7 + p * 3);

    /// <summary>Writes the four files of an IDX data set (3 train / 2 test images of 4x5) into a folder.</summary>
    public static void WriteIdxSet(string folder, bool gzip)
    {
        string ext = gzip ? ".gz" : "";
        Func<byte[], byte[]> encode = gzip ? Gzip : d => d;
        File.WriteAllBytes(Path.Combine(folder, "train-images-idx3-ubyte" + ext), encode(IdxImages(3, 4, 5, IdxPixel)));
        File.WriteAllBytes(Path.Combine(folder, "train-labels-idx1-ubyte" + ext), encode(IdxLabels(2, 0, 1)));
        File.WriteAllBytes(Path.Combine(folder, "t10k-images-idx3-ubyte" + ext), encode(IdxImages(2, 4, 5, IdxPixel)));
        File.WriteAllBytes(Path.Combine(folder, "t10k-labels-idx1-ubyte" + ext), encode(IdxLabels(1, 1)));
    }

    /// <summary>CIFAR-10 binary records: label byte then 3072 pixel bytes, pixel(record, p).</summary>
    public static byte[] CifarRecords(byte[] labels, Func<int, int, byte> pixel)
    {
        var data = new byte[labels.Length * 3073];
        for (int r = 0; r < labels.Length; r++)
        {
            data[r * 3073] = labels[r];
            for (int p = 0; p < 3072; p++)
                data[r * 3073 + 1 + p] = pixel(r, p);
        }
        return data;
    }

    public static void WritePng(string path, int width, int height, Func<int, int, SKColor> color)
    {
        using var bitmap = new SKBitmap(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                bitmap.SetPixel(x, y, color(x, y));
        using var file = File.Create(path);
        bitmap.Encode(file, SKEncodedImageFormat.Png, 100);
    }
}
