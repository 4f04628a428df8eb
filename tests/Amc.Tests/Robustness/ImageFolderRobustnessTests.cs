using System.Buffers.Binary;
using Amc.Cli;
using Amc.Data;
using Amc.Tests.Cli;
using Amc.Tests.Data;
using SkiaSharp;
using static Amc.Tests.Data.DataFiles;

namespace Amc.Tests.Robustness;

/// <summary>
/// Image folders whose images differ in size are refused unless a resize is asked for (one stray
/// 1x1 thumbnail used to shrink the whole set to 1x1), and an image whose header claims enormous
/// dimensions is refused before it is decoded (a 100000x100000 PNG header is a few hundred bytes
/// that decode to 40 GB).
/// </summary>
public class ImageFolderRobustnessTests
{
    static readonly SKColor Grey = new(90, 90, 90);

    /// <summary>Two classes of 6x4 images, and a 1x1 one sorted first ("a/0.png").</summary>
    static string FolderWithAStray(TempFolder dir, string root = "train")
    {
        WritePng(Path.Combine(dir.Folder(root, "a"), "0.png"), 1, 1, (x, y) => Grey);
        foreach (var c in new[] { "a", "b" })
            for (int i = 1; i <= 3; i++)
                WritePng(Path.Combine(dir.Folder(root, c), $"{i}.png"), 6, 4, (x, y) => Grey);
        return dir.File(root);
    }

    [Fact]
    public void A_stray_size_is_refused_naming_the_file_its_size_the_common_size_and_the_resize()
    {
        using var dir = new TempFolder();
        var folder = FolderWithAStray(dir);

        var e = Assert.Throws<DataFormatException>(() => ImageFolderReader.Read(folder));

        Assert.Equal(dir.File("train", "a", "0.png"), e.File);
        Assert.Contains("is 1x1", e.Message);
        Assert.Contains("6 of the 7 images", e.Message);
        Assert.Contains("6x4", e.Message);
        Assert.Contains("--image-size", e.Message);
    }

    [Fact]
    public void With_a_resize_the_mixed_folder_is_read_at_that_size()
    {
        using var dir = new TempFolder();
        var data = ImageFolderReader.Read(FolderWithAStray(dir), new ImageFolderOptions(Width: 6, Height: 4));
        Assert.Equal(new Amc.Graph.TensorShape(3, 4, 6), data.Shape);
        Assert.Equal(7, data.Count);
        for (int i = 0; i < data.Count; i++)
            Assert.All(data.Image(i), b => Assert.Equal(90, b));
    }

    [Fact]
    public void A_test_folder_must_share_one_size_too_but_takes_the_training_size()
    {
        using var dir = new TempFolder();
        foreach (var c in new[] { "a", "b" })
            WritePng(Path.Combine(dir.Folder("train", c), "1.png"), 4, 4, (x, y) => Grey);
        // Test images of one other size are brought to the training size, as before.
        WritePng(Path.Combine(dir.Folder("test", "a"), "1.png"), 8, 8, (x, y) => Grey);
        WritePng(Path.Combine(dir.Folder("test", "b"), "1.png"), 8, 8, (x, y) => Grey);
        Assert.Equal(new Amc.Graph.TensorShape(3, 4, 4), DataSource.Load(dir.Path).Test.Shape);

        // A stray among them is refused; with a resize asked for, both folders take it.
        WritePng(Path.Combine(dir.Folder("test", "b"), "2.png"), 2, 3, (x, y) => Grey);
        Assert.Equal(dir.File("test", "b", "2.png"), Assert.Throws<DataFormatException>(() => DataSource.Load(dir.Path)).File);
        var resized = DataSource.Load(dir.Path, new ImageFolderOptions(Width: 5, Height: 5));
        Assert.Equal(new Amc.Graph.TensorShape(3, 5, 5), resized.Train.Shape);
        Assert.Equal(new Amc.Graph.TensorShape(3, 5, 5), resized.Test.Shape);
    }

    /// <summary>A valid 2x2 PNG whose header (IHDR) then claims another size, CRC fixed up.</summary>
    static void WritePngClaiming(string path, int width, int height)
    {
        WritePng(path, 2, 2, (x, y) => Grey);
        var bytes = File.ReadAllBytes(path);
        // Signature (8), IHDR length (4) and type (4): width and height follow at 16 and 20.
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(16), width);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(20), height);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(29), Crc32(bytes.AsSpan(12, 17))); // type + 13 data bytes
        File.WriteAllBytes(path, bytes);
    }

    /// <summary>The CRC-32 PNG chunks carry (polynomial 0xEDB88320, reflected), bit by bit.</summary>
    static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (var b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
        }
        return ~crc;
    }

    [Fact]
    public void An_image_claiming_enormous_dimensions_is_refused_before_decoding()
    {
        using var dir = new TempFolder();
        var bomb = Path.Combine(dir.Folder("train", "a"), "bomb.png");
        WritePngClaiming(bomb, 100000, 100000);
        WritePng(Path.Combine(dir.Folder("train", "b"), "ok.png"), 2, 2, (x, y) => Grey);
        long before = GC.GetTotalAllocatedBytes();

        var e = Assert.Throws<DataFormatException>(() => ImageFolderReader.Read(dir.File("train"), new ImageFolderOptions(Width: 2, Height: 2)));

        Assert.Equal(bomb, e.File);
        Assert.Contains("100000x100000", e.Message);
        Assert.Contains("not decoded", e.Message);
        // Nothing near the claimed size was allocated on the managed heap either.
        Assert.True(GC.GetTotalAllocatedBytes() - before < 100_000_000);
    }

    [Fact]
    public void The_limit_is_the_documented_one()
    {
        using var dir = new TempFolder();
        var big = Path.Combine(dir.Folder("train", "a"), "big.png");
        WritePngClaiming(big, 16384, 16385);
        Assert.Contains("16384x16385", Assert.Throws<DataFormatException>(() => ImageFolderReader.Read(dir.File("train"))).Message);
        Assert.Equal(16384L * 16384, ImageFolderReader.MaxImagePixels);
    }

    [Fact]
    public void A_folder_is_listed_not_decoded_so_a_huge_input_size_allocates_nothing_up_front()
    {
        // Three tiny images at 16384x16384 RGB would be 2.4 GB held in memory; listed, they are paths.
        using var dir = new TempFolder();
        for (int i = 0; i < 3; i++) WritePng(Path.Combine(dir.Folder("train", "a"), $"{i}.png"), 2, 2, (x, y) => Grey);
        long before = GC.GetTotalAllocatedBytes();
        var data = ImageFolderReader.Read(dir.File("train"), new ImageFolderOptions(Width: 16384, Height: 16384), statistics: false);
        Assert.Equal(3, data.Count);
        Assert.Empty(data.Pixels);
        Assert.True(GC.GetTotalAllocatedBytes() - before < 100_000_000);
    }

    [Theory]
    [InlineData("224x224", 224, 224, null)]
    [InlineData("32", 32, 32, null)]
    [InlineData("40X30", 40, 30, null)]
    [InlineData("0x28", 0, 0, "--image-size")]
    [InlineData("-4x4", 0, 0, "--image-size")]
    [InlineData("100000x100000", 0, 0, "--image-size")]
    [InlineData("big", 0, 0, "--image-size")]
    [InlineData("1x2x3", 0, 0, "--image-size")]
    public void Image_size_option_parses_or_says_the_form(string text, int width, int height, string? error)
    {
        var (w, h, message) = DataOptions.ParseImageSize(text);
        if (error is null)
        {
            Assert.Null(message);
            Assert.Equal((width, height), (w, h));
        }
        else Assert.Contains(error, message);
    }

    [Fact]
    public void Data_of_another_image_size_than_the_checkpoint_points_at_the_resize()
    {
        var net = Amc.Models.ModelZoo.Build("resnet20", new Amc.Models.ModelOptions(new Amc.Graph.TensorShape(3, 32, 32)));
        var ck = new Amc.Torch.Checkpoint(net, [], new Amc.Torch.CheckpointInfo());
        var images = new Dataset("folder", new byte[4 * 3 * 64 * 64], [0, 1, 2, 3], new Amc.Graph.TensorShape(3, 64, 64), 10, [0.5f, 0.5f, 0.5f], [0.2f, 0.2f, 0.2f]);
        var data = new Amc.Sessions.OpenedData(images, images, HeldOutSplit.Create(4, 0, 1));
        var e = Assert.Throws<Amc.Sessions.SettingsException>(() => data.FitTo(ck));
        Assert.Contains("--image-size 32x32", e.Message);
    }

    [Fact]
    public void Training_on_a_mixed_folder_exits_2_naming_the_stray()
    {
        using var dir = new TempFolder();
        FolderWithAStray(dir, "train");
        foreach (var c in new[] { "a", "b" })
            WritePng(Path.Combine(dir.Folder("test", c), "1.png"), 6, 4, (x, y) => Grey);
        var message = CliAssert.BadInput(CliRun.Amc("train", "--data", dir.Path, "--out", dir.File("x.amc")));
        Assert.Contains("0.png", message);
        Assert.Contains("--image-size 6x4", message);
        Assert.False(File.Exists(dir.File("x.amc")));

        Assert.Contains("--image-size", CliAssert.BadInput(CliRun.Amc("train", "--data", dir.Path, "--image-size", "0x4", "--out", dir.File("x.amc"))));
    }
}
