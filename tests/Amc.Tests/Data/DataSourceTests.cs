using Amc.Data;
using SkiaSharp;
using static Amc.Tests.Data.DataFiles;

namespace Amc.Tests.Data;

public class DataSourceTests
{
    [Fact]
    public void Embedded_subset_loads_with_its_counts_and_training_statistics()
    {
        var data = DataSource.Load(DataSource.FashionMnistSubset);

        Assert.Equal(6000, data.Train.Count);
        Assert.Equal(1000, data.Test.Count);
        Assert.Equal(new Amc.Graph.TensorShape(1, 28, 28), data.Train.Shape);
        Assert.Equal(10, data.Train.Classes);
        Assert.Equal(10, data.Test.Classes);
        Assert.All(data.Train.Labels.CountBy(l => l), c => Assert.InRange(c.Value, 500, 700));
        Assert.All(data.Test.Labels.CountBy(l => l), c => Assert.InRange(c.Value, 80, 120));
        // The first 6000 images are representative: their statistics are those of all 60000.
        Assert.Equal(0.2860, data.Train.Mean[0], 0.005);
        Assert.Equal(0.3530, data.Train.Std[0], 0.005);
        Assert.Same(data.Train.Mean, data.Test.Mean);
        Assert.Same(data.Train.Std, data.Test.Std);
        Assert.Contains("embedded", data.Origin);
    }

    [Fact]
    public void Full_fashion_mnist_when_installed_has_the_known_statistics()
    {
        if (!File.Exists(Path.Combine(DataSource.DebianFashionMnistFolder, "train-images-idx3-ubyte.gz")))
            return; // dataset-fashion-mnist not installed; the fallback is tested below

        var data = DataSource.Load(DataSource.FashionMnist);

        Assert.Equal(60000, data.Train.Count);
        Assert.Equal(10000, data.Test.Count);
        Assert.Equal(0.2860, data.Train.Mean[0], 0.0001);
        Assert.Equal(0.3530, data.Train.Std[0], 0.0001);
    }

    [Fact]
    public void The_fallback_to_the_subset_is_named_with_its_fix()
    {
        using var dir = new TempFolder();
        var warning = DataSource.SubsetFallbackWarning(DataSource.FashionMnist, dir.Path);
        Assert.Contains("fashion-mnist-subset", warning);
        Assert.Contains("apt-get install dataset-fashion-mnist", warning);
        Assert.Null(DataSource.SubsetFallbackWarning(DataSource.FashionMnistSubset, dir.Path));
        Assert.Null(DataSource.SubsetFallbackWarning(dir.Path, dir.Path));
    }

    [Fact]
    public void Fashion_mnist_falls_back_to_the_embedded_subset_without_the_debian_files()
    {
        using var dir = new TempFolder();

        var data = DataSource.Load(DataSource.FashionMnist, null, dir.Path);

        Assert.Equal(6000, data.Train.Count);
    }

    [Fact]
    public void Fashion_mnist_uses_the_debian_files_when_present()
    {
        using var dir = new TempFolder();
        WriteIdxSet(dir.Path, gzip: true);

        var data = DataSource.Load(DataSource.FashionMnist, null, dir.Path);

        Assert.Equal(3, data.Train.Count);
        Assert.Equal(DataSource.FashionMnist, data.Train.Name);
        Assert.Contains(dir.Path, data.Origin);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Detects_an_idx_folder(bool gzip)
    {
        using var dir = new TempFolder();
        var folder = dir.Folder("my-mnist");
        WriteIdxSet(folder, gzip);

        var data = DataSource.Load(folder);

        Assert.Equal(3, data.Train.Count);
        Assert.Equal(2, data.Test.Count);
        Assert.Equal("my-mnist", data.Train.Name);
        // The test set has labels up to 1, the training set up to 2: both get 3 classes.
        Assert.Equal(3, data.Test.Classes);
        Assert.Same(data.Train.Mean, data.Test.Mean);
    }

    [Fact]
    public void Incomplete_idx_folder_names_the_missing_file()
    {
        using var dir = new TempFolder();
        WriteIdxSet(dir.Path, gzip: false);
        File.Delete(dir.File("t10k-labels-idx1-ubyte"));

        var e = Assert.Throws<DataFormatException>(() => DataSource.Load(dir.Path));

        Assert.Contains("t10k-labels-idx1-ubyte", e.Message);
    }

    [Fact]
    public void Detects_a_cifar_folder()
    {
        using var dir = new TempFolder();
        var batches = dir.Folder("cifar-10-batches-bin");
        File.WriteAllBytes(Path.Combine(batches, "data_batch_1.bin"), CifarRecords([0, 1, 2], (r, p) => (byte)p));
        File.WriteAllBytes(Path.Combine(batches, "test_batch.bin"), CifarRecords([3], (r, p) => 9));

        var fromParent = DataSource.Load(dir.Path);
        var fromBatches = DataSource.Load(batches);

        Assert.Equal(3, fromParent.Train.Count);
        Assert.Equal(1, fromBatches.Test.Count);
        Assert.Equal(3, fromBatches.Test.Mean.Length);
    }

    [Theory]
    [InlineData("test")]
    [InlineData("val")]
    public void Detects_image_folders_and_sizes_test_images_like_training_images(string testName)
    {
        using var dir = new TempFolder();
        WritePng(Path.Combine(dir.Folder("train", "a"), "1.png"), 4, 4, (x, y) => SKColors.Red);
        WritePng(Path.Combine(dir.Folder("train", "b"), "1.png"), 4, 4, (x, y) => SKColors.Blue);
        WritePng(Path.Combine(dir.Folder(testName, "b"), "1.png"), 10, 10, (x, y) => SKColors.Blue);

        var data = DataSource.Load(dir.Path, new ImageFolderOptions(Grayscale: true));

        Assert.Equal(new Amc.Graph.TensorShape(1, 4, 4), data.Test.Shape);
        Assert.Equal([1], data.Test.Labels);
        Assert.Equal(2, data.Test.Classes);
    }

    [Fact]
    public void Unrecognised_folder_says_what_was_expected()
    {
        using var dir = new TempFolder();
        File.WriteAllText(dir.File("readme.txt"), "hello");

        var e = Assert.Throws<DataFormatException>(() => DataSource.Load(dir.Path));

        Assert.Equal(dir.Path, e.File);
        Assert.Contains("train-images-idx3-ubyte", e.Message);
        Assert.Contains("data_batch_", e.Message);
        Assert.Contains("train/", e.Message);
    }

    [Fact]
    public void Unknown_name_is_an_error()
    {
        var e = Assert.Throws<DataFormatException>(() => DataSource.Load("imagenet-21k-that-is-not-here"));
        Assert.Contains("fashion-mnist", e.Message);
    }
}
