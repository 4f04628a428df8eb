using Amc.Data;
using static Amc.Tests.Data.DataFiles;

namespace Amc.Tests.Data;

public class IdxReaderTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Reads_images_and_labels(bool gzip)
    {
        using var dir = new TempFolder();
        DataFiles.WriteIdxSet(dir.Path, gzip);
        string ext = gzip ? ".gz" : "";

        var data = IdxReader.Read(dir.File("train-images-idx3-ubyte" + ext), dir.File("train-labels-idx1-ubyte" + ext), "tiny");

        Assert.Equal("tiny", data.Name);
        Assert.Equal(new Amc.Graph.TensorShape(1, 4, 5), data.Shape);
        Assert.Equal([2, 0, 1], data.Labels);
        Assert.Equal(3, data.Classes);
        Assert.Equal(Enumerable.Range(0, 3 * 20).Select(k => IdxPixel(k / 20, k % 20)), data.Pixels);
        double mean = data.Pixels.Average(b => b / 255.0);
        double std = Math.Sqrt(data.Pixels.Average(b => Math.Pow(b / 255.0 - mean, 2)));
        Assert.Equal(mean, data.Mean.Single(), 5);
        Assert.Equal(std, data.Std.Single(), 5);
    }

    [Fact]
    public void Recognises_gzip_by_content_not_name()
    {
        using var dir = new TempFolder();
        File.WriteAllBytes(dir.File("images.gz"), IdxImages(2, 3, 3, IdxPixel)); // raw despite the name
        File.WriteAllBytes(dir.File("labels"), Gzip(IdxLabels(4, 5)));           // gzipped without .gz

        var data = IdxReader.Read(dir.File("images.gz"), dir.File("labels"), "x");

        Assert.Equal([4, 5], data.Labels);
        Assert.Equal(IdxPixel(1, 8), data.Pixels[17]);
    }

    [Fact]
    public void Wrong_magic_names_the_file()
    {
        using var dir = new TempFolder();
        var images = IdxImages(2, 3, 3, IdxPixel);
        images[3] = 0x02;
        File.WriteAllBytes(dir.File("images"), images);
        File.WriteAllBytes(dir.File("labels"), IdxLabels(0, 1));

        var e = Assert.Throws<DataFormatException>(() => IdxReader.Read(dir.File("images"), dir.File("labels"), "x"));

        Assert.Equal(dir.File("images"), e.File);
        Assert.Contains(dir.File("images"), e.Message);
        Assert.Contains("0x00000802", e.Message);
    }

    [Fact]
    public void Swapped_files_are_reported_as_such()
    {
        using var dir = new TempFolder();
        File.WriteAllBytes(dir.File("images"), IdxImages(2, 3, 3, IdxPixel));
        File.WriteAllBytes(dir.File("labels"), IdxLabels(0, 1));

        var e = Assert.Throws<DataFormatException>(() => IdxReader.Read(dir.File("labels"), dir.File("images"), "x"));

        Assert.Equal(dir.File("labels"), e.File);
        Assert.Contains("labels file", e.Message);
    }

    [Theory]
    [InlineData(false, 2011)] // last image cut short
    [InlineData(false, 10)]   // header cut short
    [InlineData(true, 2011)]
    public void Truncated_images_file_names_the_file(bool gzip, int keep)
    {
        using var dir = new TempFolder();
        var images = IdxImages(20, 10, 10, IdxPixel)[..keep];
        File.WriteAllBytes(dir.File("images"), gzip ? Gzip(images) : images);
        File.WriteAllBytes(dir.File("labels"), IdxLabels(new byte[20]));

        var e = Assert.Throws<DataFormatException>(() => IdxReader.Read(dir.File("images"), dir.File("labels"), "x"));

        Assert.Equal(dir.File("images"), e.File);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void Truncated_gzip_stream_names_the_file()
    {
        using var dir = new TempFolder();
        var gz = Gzip(IdxImages(50, 10, 10, (i, p) => (byte)(i * p)));
        File.WriteAllBytes(dir.File("images.gz"), gz[..(gz.Length / 2)]);
        File.WriteAllBytes(dir.File("labels"), IdxLabels(new byte[50]));

        var e = Assert.Throws<DataFormatException>(() => IdxReader.Read(dir.File("images.gz"), dir.File("labels"), "x"));

        Assert.Equal(dir.File("images.gz"), e.File);
    }

    [Fact]
    public void Label_count_mismatch_names_both_files()
    {
        using var dir = new TempFolder();
        File.WriteAllBytes(dir.File("images"), IdxImages(3, 2, 2, IdxPixel));
        File.WriteAllBytes(dir.File("labels"), IdxLabels(0, 1));

        var e = Assert.Throws<DataFormatException>(() => IdxReader.Read(dir.File("images"), dir.File("labels"), "x"));

        Assert.Equal(dir.File("labels"), e.File);
        Assert.Contains("2 labels", e.Message);
        Assert.Contains($"{dir.File("images")} has 3 images", e.Message);
    }

    [Fact]
    public void Missing_file_is_named()
    {
        using var dir = new TempFolder();
        var e = Assert.Throws<DataFormatException>(() => IdxReader.Read(dir.File("nope"), dir.File("labels"), "x"));
        Assert.Equal(dir.File("nope"), e.File);
    }
}
