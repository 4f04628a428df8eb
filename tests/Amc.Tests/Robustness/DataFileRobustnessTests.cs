using System.Buffers.Binary;
using Amc.Data;
using Amc.Tests.Cli;
using Amc.Tests.Data;
using static Amc.Tests.Data.DataFiles;

namespace Amc.Tests.Robustness;

/// <summary>
/// IDX and CIFAR-10 files whose headers or sizes promise more than they hold or than memory can
/// hold: refused as a DataFormatException naming the file, before anything is allocated by the
/// header's word.
/// </summary>
public sealed class DataFileRobustnessTests : IDisposable
{
    readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    /// <summary>An IDX images header (no pixels) with these dimensions.</summary>
    static byte[] ImagesHeader(int count, int rows, int cols)
    {
        var data = new byte[16];
        BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(0), 0x00000803);
        BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(8), rows);
        BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(12), cols);
        return data;
    }

    DataFormatException Refused(byte[] images, byte[] labels)
    {
        File.WriteAllBytes(temp.File("images"), images);
        File.WriteAllBytes(temp.File("labels"), labels);
        var e = Assert.Throws<DataFormatException>(() => IdxReader.Read(temp.File("images"), temp.File("labels"), "x"));
        Assert.StartsWith(e.File + ": ", e.Message);
        return e;
    }

    [Theory]
    // 65536 x 65536 overflows an int to 0 pixels per image; with no images nothing else catches it.
    [InlineData(0, 65536, 65536, "image size of 65536x65536, more pixels than one image can have")]
    [InlineData(1, 65536, 65536, "more pixels than one image can have")]
    // Three header values whose product overflows a long to a small number.
    [InlineData(int.MaxValue, int.MaxValue, int.MaxValue, "more pixels than one image can have")]
    [InlineData(int.MaxValue, 46340, 46340, "truncated: the header announces 2147483647 images of 46340x46340")]
    [InlineData(0, 28, 28, "header announces 0 images")]
    [InlineData(-1, 28, 28, "header dimension 0 is negative (-1)")]
    [InlineData(1, 0, 28, "image size of 0x28")]
    public void Images_header_beyond_what_the_file_or_memory_holds(int count, int rows, int cols, string expected)
    {
        var e = Refused(ImagesHeader(count, rows, cols), IdxLabels(1));
        Assert.Equal(temp.File("images"), e.File);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Labels_header_beyond_the_file()
    {
        var labels = IdxLabels(1);
        BinaryPrimitives.WriteInt32BigEndian(labels.AsSpan(4), int.MaxValue);
        var e = Refused(IdxImages(1, 2, 2, IdxPixel), labels);
        Assert.Equal(temp.File("labels"), e.File);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void Gzip_that_unpacks_beyond_the_limit_is_refused_while_unpacking()
    {
        var gz = Gzip(new byte[100_000]);
        var e = Assert.Throws<DataFormatException>(() => IdxReader.Decompress(gz, "bomb.gz", limit: 10_000));
        Assert.Contains("bomb.gz: gzip data unpacks to more than 10000 bytes", e.Message);
        Assert.Equal(100_000, IdxReader.Decompress(gz, "bomb.gz", limit: 100_000).Length);
    }

    [Fact]
    public void Gzip_with_flipped_bytes_is_refused_or_read()
    {
        var gz = Gzip(IdxImages(5, 4, 4, IdxPixel));
        var rng = new Random(2);
        for (int i = 0; i < 200; i++)
        {
            var damaged = (byte[])gz.Clone();
            damaged[2 + rng.Next(damaged.Length - 2)] ^= (byte)(1 << rng.Next(8)); // past the magic, so it stays gzip
            File.WriteAllBytes(temp.File("images.gz"), damaged);
            File.WriteAllBytes(temp.File("labels"), IdxLabels(0, 1, 2, 3, 4));
            try
            {
                IdxReader.Read(temp.File("images.gz"), temp.File("labels"), "x");
            }
            catch (DataFormatException e)
            {
                Assert.Equal(temp.File("images.gz"), e.File);
            }
        }
    }

    /// <summary>A file of this length that takes no disk space (sparse): sizes are checked before reading.</summary>
    string Sparse(string name, long length)
    {
        var path = temp.File(name);
        using var f = File.Create(path);
        f.SetLength(length);
        return path;
    }

    [Fact]
    public void Idx_file_larger_than_an_array_is_refused_before_reading()
    {
        var images = Sparse("images", 3L << 30);
        File.WriteAllBytes(temp.File("labels"), IdxLabels(1));
        var e = Assert.Throws<DataFormatException>(() => IdxReader.Read(images, temp.File("labels"), "x"));
        Assert.Equal(images, e.File);
        Assert.Contains($"is {3L << 30} bytes; a data file can have at most", e.Message);
    }

    [Fact]
    public void Cifar_files_larger_than_a_data_set_are_refused_before_reading()
    {
        var big = Sparse("data_batch_1.bin", 3L << 30);
        Assert.Contains("a data file can have at most", Assert.Throws<DataFormatException>(() => Cifar10Reader.Read([big])).Message);

        // Each file could be held, together their images could not.
        long length = 3073L * 400_000; // 1.2 GB, 400000 records
        var a = Sparse("data_batch_2.bin", length);
        var b = Sparse("data_batch_3.bin", length);
        var e = Assert.Throws<DataFormatException>(() => Cifar10Reader.Read([a, b]));
        Assert.Contains("these 2 files hold 800000 images, more than one data set can hold", e.Message);
    }

    [Fact]
    public void Cli_refuses_an_idx_header_beyond_memory_on_one_line()
    {
        var data = TinyIdxData.Write(temp.File("data"), train: 20, test: 10, size: 8);
        File.WriteAllBytes(Path.Combine(data, "t10k-images-idx3-ubyte"), ImagesHeader(0, 65536, 65536));
        var message = CliAssert.BadInput(CliRun.Amc("train", "--data", data, "--epochs", "1", "--out", temp.File("x.amc")));
        Assert.Contains("t10k-images-idx3-ubyte", message);
        Assert.DoesNotContain("at Amc.", message);
    }
}
