using Amc.Data;
using SkiaSharp;
using static Amc.Tests.Data.DataFiles;

namespace Amc.Tests.Data;

public class ImageFolderReaderTests
{
    static readonly SKColor Red = new(200, 10, 30), Teal = new(0, 120, 140);

    /// <summary>Classes "dog" (one red 6x4 image) and "cat" (two teal ones), so that ordinal
    /// order (cat = 0, dog = 1) differs from creation order.</summary>
    static void WriteClasses(TempFolder dir, string root)
    {
        WritePng(Path.Combine(dir.Folder(root, "dog"), "d1.png"), 6, 4, (x, y) => Red);
        var cat = dir.Folder(root, "cat");
        WritePng(Path.Combine(cat, "c1.png"), 6, 4, (x, y) => Teal);
        WritePng(Path.Combine(cat, "c2.PNG"), 6, 4, (x, y) => x < 3 ? SKColors.Black : SKColors.White);
        File.WriteAllText(Path.Combine(cat, "notes.txt"), "not an image");
    }

    [Fact]
    public void Reads_rgb_images_with_labels_in_ordinal_class_order()
    {
        using var dir = new TempFolder();
        WriteClasses(dir, "train");

        var data = ImageFolderReader.Read(dir.File("train"));

        Assert.Equal("train", data.Name);
        Assert.Equal(new Amc.Graph.TensorShape(3, 4, 6), data.Shape);
        Assert.Equal(2, data.Classes);
        Assert.Equal([0, 0, 1], data.Labels); // c1, c2 (cat), d1 (dog)
        var teal = data.Image(0).AsSpan();
        Assert.True(teal[..24].ToArray().All(b => b == 0) && teal[24..48].ToArray().All(b => b == 120) && teal[48..].ToArray().All(b => b == 140));
        var halves = data.Image(1).AsSpan(0, 6); // red channel, first row of c2
        Assert.Equal([0, 0, 0, 255, 255, 255], halves.ToArray());
        Assert.Equal(200, data.Image(2)[0]);
    }

    [Fact]
    public void Grayscale_option_gives_one_luma_channel()
    {
        using var dir = new TempFolder();
        WriteClasses(dir, "train");

        var data = ImageFolderReader.Read(dir.File("train"), new ImageFolderOptions(Grayscale: true));

        Assert.Equal(new Amc.Graph.TensorShape(1, 4, 6), data.Shape);
        Assert.Equal((byte)Math.Round(0.299 * 200 + 0.587 * 10 + 0.114 * 30), data.Image(2)[0]);
        Assert.Single(data.Mean);
    }

    [Fact]
    public void Resizes_to_the_requested_size()
    {
        using var dir = new TempFolder();
        WritePng(Path.Combine(dir.Folder("train", "a"), "1.png"), 8, 8, (x, y) => Teal);
        WritePng(Path.Combine(dir.Folder("train", "b"), "2.png"), 16, 12, (x, y) => Red);

        var bySize = ImageFolderReader.Read(dir.File("train"), new ImageFolderOptions(Width: 4, Height: 2, Squash: true));
        var byWidth = ImageFolderReader.Read(dir.File("train"), new ImageFolderOptions(Width: 8, Squash: true));

        Assert.Equal(new Amc.Graph.TensorShape(3, 2, 4), bySize.Shape);
        // A flat colour stays that colour however it is resampled.
        Assert.All(bySize.Image(1).AsSpan(8, 8).ToArray(), b => Assert.Equal(10, b));
        // The side not asked for is the folder's most common one (a tie: the first file's).
        Assert.Equal(new Amc.Graph.TensorShape(3, 8, 8), byWidth.Shape);
        Assert.All(byWidth.Image(1).AsSpan(0, 64).ToArray(), b => Assert.Equal(200, b));
    }

    [Fact]
    public void Test_folder_uses_the_training_class_list()
    {
        using var dir = new TempFolder();
        WritePng(Path.Combine(dir.Folder("val", "zebra"), "1.png"), 2, 2, (x, y) => Red);

        var data = ImageFolderReader.Read(dir.File("val"), classNames: ["ant", "bee", "zebra"]);

        Assert.Equal([2], data.Labels);
        Assert.Equal(3, data.Classes);
    }

    [Fact]
    public void Class_unknown_to_training_is_an_error()
    {
        using var dir = new TempFolder();
        WritePng(Path.Combine(dir.Folder("val", "zebra"), "1.png"), 2, 2, (x, y) => Red);

        var e = Assert.Throws<DataFormatException>(() => ImageFolderReader.Read(dir.File("val"), classNames: ["ant"]));

        Assert.Equal(dir.File("val", "zebra"), e.File);
    }

    [Fact]
    public void Empty_folders_are_errors_naming_the_folder()
    {
        using var dir = new TempFolder();
        dir.Folder("train");
        var noClasses = Assert.Throws<DataFormatException>(() => ImageFolderReader.Read(dir.File("train")));
        Assert.Equal(dir.File("train"), noClasses.File);

        dir.Folder("train", "empty");
        var noImages = Assert.Throws<DataFormatException>(() => ImageFolderReader.Read(dir.File("train")));
        Assert.Equal(dir.File("train", "empty"), noImages.File);
    }

    [Fact]
    public void Unreadable_image_names_the_file()
    {
        using var dir = new TempFolder();
        WritePng(Path.Combine(dir.Folder("train", "a"), "good.png"), 4, 4, (x, y) => Red);
        File.WriteAllText(dir.File("train", "a", "bad.png"), "this is not a PNG");

        var e = Assert.Throws<DataFormatException>(() => ImageFolderReader.Read(dir.File("train")));

        Assert.Equal(dir.File("train", "a", "bad.png"), e.File);
    }

    [Fact]
    public void Truncated_image_names_the_file()
    {
        using var dir = new TempFolder();
        var path = Path.Combine(dir.Folder("train", "a"), "cut.png");
        WritePng(path, 64, 64, (x, y) => new SKColor((byte)(x * 4), (byte)(y * 4), (byte)(x ^ y)));
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);

        var e = Assert.Throws<DataFormatException>(() => ImageFolderReader.Read(dir.File("train")));

        Assert.Equal(path, e.File);
    }
}
