using Amc.Data;
using static Amc.Tests.Data.DataFiles;

namespace Amc.Tests.Data;

public class Cifar10ReaderTests
{
    static byte Pixel(int batch, int record, int p) => (byte)(batch * 50 + record * 11 + p);

    static void WriteBatches(string folder, int trainBatches, int perBatch)
    {
        for (int b = 1; b <= trainBatches; b++)
            File.WriteAllBytes(Path.Combine(folder, $"data_batch_{b}.bin"),
                CifarRecords(Enumerable.Range(0, perBatch).Select(r => (byte)((b + r) % 10)).ToArray(), (r, p) => Pixel(b, r, p)));
        File.WriteAllBytes(Path.Combine(folder, "test_batch.bin"), CifarRecords([9, 8], (r, p) => Pixel(0, r, p)));
    }

    [Fact]
    public void Reads_training_batches_in_numeric_order_and_the_test_batch()
    {
        using var dir = new TempFolder();
        // 10 batches, so that data_batch_10 would sort before data_batch_2 by name.
        WriteBatches(dir.Path, 10, 2);

        var (train, test) = Cifar10Reader.ReadFolder(dir.Path);

        Assert.Equal(new Amc.Graph.TensorShape(3, 32, 32), train.Shape);
        Assert.Equal(10, train.Classes);
        Assert.Equal(20, train.Count);
        Assert.Equal([1, 2, 2, 3], train.Labels[..4]);
        Assert.Equal(0, train.Labels[18]); // data_batch_10, record 0
        // Record 1 of data_batch_2 is image 3; its green channel (c = 1) starts at 1024.
        Assert.Equal(Pixel(2, 1, 1024 + 5), train.Pixels[3 * 3072 + 1024 + 5]);
        Assert.Equal([9, 8], test.Labels);
        Assert.Equal(Pixel(0, 1, 3071), test.Pixels[2 * 3072 - 1]);
        Assert.Equal(3, train.Mean.Length);
    }

    [Fact]
    public void Finds_the_batches_folder_inside_the_unpacked_archive()
    {
        using var dir = new TempFolder();
        WriteBatches(dir.Folder("cifar-10-batches-bin"), 1, 3);

        var (train, test) = Cifar10Reader.ReadFolder(dir.Path);

        Assert.Equal(3, train.Count);
        Assert.Equal(2, test.Count);
    }

    [Fact]
    public void Reads_a_single_file()
    {
        using var dir = new TempFolder();
        WriteBatches(dir.Path, 1, 4);

        var data = Cifar10Reader.Read([dir.File("data_batch_1.bin")]);

        Assert.Equal(4, data.Count);
    }

    [Fact]
    public void Truncated_file_names_the_file()
    {
        using var dir = new TempFolder();
        var records = CifarRecords([1, 2, 3], (r, p) => 7);
        File.WriteAllBytes(dir.File("data_batch_1.bin"), records[..^100]);

        var e = Assert.Throws<DataFormatException>(() => Cifar10Reader.Read([dir.File("data_batch_1.bin")]));

        Assert.Equal(dir.File("data_batch_1.bin"), e.File);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void Label_out_of_range_names_the_file_and_record()
    {
        using var dir = new TempFolder();
        File.WriteAllBytes(dir.File("b.bin"), CifarRecords([1, 12], (r, p) => 0));

        var e = Assert.Throws<DataFormatException>(() => Cifar10Reader.Read([dir.File("b.bin")]));

        Assert.Contains(dir.File("b.bin"), e.Message);
        Assert.Contains("record 1 has label 12", e.Message);
    }

    [Fact]
    public void Cifar100_file_is_recognised()
    {
        using var dir = new TempFolder();
        File.WriteAllBytes(dir.File("train.bin"), new byte[3074 * 2]);

        var e = Assert.Throws<DataFormatException>(() => Cifar10Reader.Read([dir.File("train.bin")]));

        Assert.Contains("CIFAR-100", e.Message);
    }

    [Fact]
    public void Missing_test_batch_is_reported()
    {
        using var dir = new TempFolder();
        WriteBatches(dir.Path, 1, 1);
        File.Delete(dir.File("test_batch.bin"));

        var e = Assert.Throws<DataFormatException>(() => Cifar10Reader.ReadFolder(dir.Path));

        Assert.Contains("test_batch.bin", e.Message);
    }
}
