using Amc.Data;
using Amc.Graph;
using SkiaSharp;
using static Amc.Tests.Data.DataFiles;

namespace Amc.Tests.Data;

/// <summary>The evaluation (resize + centre crop) and training (random-resized crop + flip) transforms.</summary>
public class ImageTransformTests
{
    [Fact]
    public void The_default_resize_is_the_imagenet_ratio()
    {
        Assert.Equal(256, ImageTransform.DefaultResize(224));
        Assert.Equal(37, ImageTransform.DefaultResize(32)); // 36.57
        Assert.Equal(new ImageTransform(ResizeMode.CenterCrop, 256), ImageTransform.CenterCrop(224, 224));
    }

    [Theory]
    [InlineData(500, 375, 256, 224, 224, 341, 256, 58, 16)] // landscape: the longer side truncated, offsets rounded half to even
    [InlineData(375, 500, 256, 224, 224, 256, 341, 16, 58)] // portrait
    [InlineData(100, 100, 200, 224, 224, 224, 224, 0, 0)] // a resize below the crop is grown to cover it
    [InlineData(16, 8, 8, 8, 8, 16, 8, 4, 0)]
    public void Resize_then_centre_crop_geometry_is_torchvisions(int w, int h, int resize, int cropW, int cropH, int rw, int rh, int left, int top)
    {
        Assert.Equal((rw, rh), CropGeometry.ResizedSize(w, h, resize, cropW, cropH));
        Assert.Equal(new CropBox(left, top, cropW, cropH), CropGeometry.Center(rw, rh, cropW, cropH));
    }

    [Fact]
    public void Random_resized_crops_stay_inside_with_scale_and_ratio_in_range()
    {
        var random = new Random(7);
        for (int i = 0; i < 2000; i++)
        {
            var box = CropGeometry.RandomResized(400, 300, random);
            Assert.InRange(box.Left, 0, 400 - box.Width);
            Assert.InRange(box.Top, 0, 300 - box.Height);
            // Rounding each side to whole pixels moves area and ratio a little past the drawn values.
            Assert.InRange(box.Width * box.Height / (400.0 * 300), 0.075, 1.0);
            Assert.InRange((double)box.Width / box.Height, 0.74, 1.35);
        }
        Assert.Equal(CropGeometry.RandomResized(400, 300, new Random(3)), CropGeometry.RandomResized(400, 300, new Random(3)));
    }

    [Fact]
    public void A_random_resized_crop_that_never_fits_falls_back_to_the_clamped_centre()
    {
        // 1000 x 10: every box of at least 8 % of the area is taller than 10 pixels.
        Assert.Equal(new CropBox(493, 0, 13, 10), CropGeometry.RandomResized(1000, 10, new Random(1)));
        Assert.Equal(new CropBox(0, 493, 10, 13), CropGeometry.RandomResized(10, 1000, new Random(1)));
    }

    /// <summary>16 x 8: columns 0-3 red, 4-11 green, 12-15 blue.</summary>
    static string Stripes(TempFolder dir)
    {
        WritePng(Path.Combine(dir.Folder("train", "a"), "1.png"), 16, 8,
            (x, y) => x < 4 ? new SKColor(255, 0, 0) : x < 12 ? new SKColor(0, 255, 0) : new SKColor(0, 0, 255));
        return dir.File("train");
    }

    [Fact]
    public void The_centre_crop_keeps_the_middle_and_the_squash_keeps_everything()
    {
        using var dir = new TempFolder();
        var folder = Stripes(dir);

        var cropped = ImageFolderReader.Read(folder, new ImageFolderOptions(Width: 8, Height: 8, Resize: 8));
        var image = cropped.Image(0);
        Assert.Equal(new ImageTransform(ResizeMode.CenterCrop, 8), cropped.Transform);
        Assert.All(image[..64], b => Assert.Equal(0, b)); // no red
        Assert.All(image[64..128], b => Assert.Equal(255, b)); // all green
        Assert.All(image[128..], b => Assert.Equal(0, b)); // no blue

        var squashed = ImageFolderReader.Read(folder, new ImageFolderOptions(Width: 8, Height: 8, Squash: true)).Image(0);
        Assert.Equal(255, squashed[0]); // red at the left edge
        Assert.Equal(255, squashed[128 + 7]); // blue at the right edge
    }

    [Fact]
    public void The_random_crop_is_seeded_and_flips_as_drawn()
    {
        using var dir = new TempFolder();
        var path = Path.Combine(dir.Folder("a"), "g.png");
        WritePng(path, 40, 30, (x, y) => new SKColor((byte)(6 * x), (byte)(8 * y), 100));
        var shape = new TensorShape(3, 12, 12);
        int flips = 0;
        for (int seed = 0; seed < 20; seed++)
        {
            var plain = new byte[shape.Elements];
            var flipped = new byte[shape.Elements];
            ImageDecoder.ReadRandomCrop(path, shape, new Random(seed), flip: false, plain);
            ImageDecoder.ReadRandomCrop(path, shape, new Random(seed), flip: true, flipped);
            var again = new byte[shape.Elements];
            ImageDecoder.ReadRandomCrop(path, shape, new Random(seed), flip: true, again);
            Assert.Equal(flipped, again);

            var random = new Random(seed);
            CropGeometry.RandomResized(40, 30, random);
            bool mirror = random.Next(2) == 1;
            flips += mirror ? 1 : 0;
            for (int c = 0; c < 3; c++)
                for (int y = 0; y < 12; y++)
                    for (int x = 0; x < 12; x++)
                        Assert.Equal(plain[(c * 12 + y) * 12 + (mirror ? 11 - x : x)], flipped[(c * 12 + y) * 12 + x]);
        }
        Assert.InRange(flips, 1, 19);
    }

    [Fact]
    public void The_cache_is_bounded_and_gives_the_decoded_image_back()
    {
        using var dir = new TempFolder();
        var paths = Enumerable.Range(0, 4).Select(i =>
        {
            var p = Path.Combine(dir.Folder("a"), $"{i}.png");
            WritePng(p, 16, 16, (x, y) => new SKColor((byte)(i * 40), (byte)x, (byte)y));
            return p;
        }).ToArray();
        var shape = new TensorShape(3, 16, 16);
        var none = new ImageFiles(paths, shape, ImageTransform.None, cacheMegabytes: 0);
        var some = new ImageFiles(paths, shape, ImageTransform.None, cacheMegabytes: 1);
        for (int pass = 0; pass < 2; pass++)
            for (int i = 0; i < 4; i++)
            {
                var a = new byte[shape.Elements];
                var b = new byte[shape.Elements];
                none.Read(i, a);
                some.Read(i, b);
                Assert.Equal(a, b);
                Assert.Equal(i * 40, a[0]);
            }
        Assert.Equal(0, none.CachedBytes);
        Assert.Equal(4 * shape.Elements, some.CachedBytes);
    }

    [Fact]
    public void Loading_an_image_folder_decodes_in_parallel_to_the_same_batches()
    {
        using var dir = new TempFolder();
        for (int i = 0; i < 10; i++)
            WritePng(Path.Combine(dir.Folder("train", i % 2 == 0 ? "even" : "odd"), $"{i}.png"), 20 + i, 16,
                (x, y) => new SKColor((byte)(10 * i + x), (byte)(5 * y), (byte)(i * 20)));
        var data = ImageFolderReader.Read(dir.File("train"), new ImageFolderOptions(Width: 12, Height: 12));
        var all = data.AllIndices();

        float[][] Batches(bool augment, int threads) =>
            new BatchLoader(data, all, 4, shuffle: true, augment, seed: 5, decodeThreads: threads).Select(b => b.Images).ToArray();

        Assert.Equal(Batches(true, 1), Batches(true, 2));
        Assert.NotEqual(Batches(true, 1), Batches(false, 1));
        // Without augmentation a batch holds the evaluation transform's images, normalised.
        var first = new BatchLoader(data, [3], 1, shuffle: false, augment: false, seed: 0).Single();
        var image = data.Image(3);
        for (int p = 0; p < image.Length; p++)
        {
            int c = p / 144;
            Assert.Equal((float)((image[p] / 255.0 - data.Mean[c]) / data.Std[c]), first.Images[p], 5);
        }
    }
}
