using System.Text.RegularExpressions;
using Amc.Graph;

namespace Amc.Data;

/// <summary>
/// Reads the binary version of CIFAR-10 (cifar-10-binary.tar.gz): each file is a run of 3073-byte
/// records, one label byte (0..9) then 32x32 red, 32x32 green, 32x32 blue, which is already the
/// C x H x W byte order a <see cref="Dataset"/> keeps.
/// </summary>
internal static partial class Cifar10Reader
{
    public static readonly TensorShape Shape = new(3, 32, 32);
    public const int Classes = 10;
    const int ImageBytes = 3 * 32 * 32;
    const int RecordBytes = 1 + ImageBytes;
    const int Cifar100RecordBytes = 2 + ImageBytes;

    /// <summary>True when the folder holds CIFAR-10 batch files.</summary>
    public static bool IsCifarFolder(string folder)
        => File.Exists(Path.Combine(folder, "test_batch.bin")) || TrainingFiles(folder).Length > 0;

    /// <summary>
    /// Reads a folder holding data_batch_*.bin (training) and test_batch.bin (test), such as the
    /// cifar-10-batches-bin folder of the archive, or the folder the archive was unpacked in.
    /// </summary>
    public static (Dataset Train, Dataset Test) ReadFolder(string folder, string name = "cifar10")
    {
        var inner = Path.Combine(folder, "cifar-10-batches-bin");
        if (!IsCifarFolder(folder) && Directory.Exists(inner))
            folder = inner;
        var trainFiles = TrainingFiles(folder);
        if (trainFiles.Length == 0)
            throw new DataFormatException(folder, "no data_batch_*.bin files",
                "Point at the cifar-10-batches-bin folder of the CIFAR-10 binary version (cifar-10-binary.tar.gz)");
        var testFile = Path.Combine(folder, "test_batch.bin");
        if (!File.Exists(testFile))
            throw new DataFormatException(folder, "has data_batch_*.bin but no test_batch.bin",
                "Unpack the whole cifar-10-binary.tar.gz archive");
        return (Read(trainFiles, name), Read([testFile], name));
    }

    /// <summary>Reads one or more batch files into one data set, in the order given; Mean and Std
    /// are those of these images.</summary>
    public static Dataset Read(IReadOnlyList<string> files, string name = "cifar10")
    {
        // Sizes first, from the file system: nothing is read that could not be held.
        long records = 0;
        foreach (var file in files)
        {
            if (!File.Exists(file))
                throw new DataFormatException(file, "file not found");
            long length = new FileInfo(file).Length;
            if (length > Array.MaxLength)
                throw new DataFormatException(file, $"is {length} bytes; a data file can have at most {Array.MaxLength}");
            records += length / RecordBytes;
        }
        if (records * ImageBytes > Array.MaxLength)
            throw new DataFormatException(files[0], $"these {files.Count} files hold {records} images, more than one data set can hold ({Array.MaxLength / ImageBytes})");
        var contents = new List<byte[]>();
        foreach (var file in files)
        {
            var data = File.ReadAllBytes(file);
            Check(data, file);
            contents.Add(data);
        }
        int count = contents.Sum(d => d.Length / RecordBytes);
        var pixels = new byte[(long)count * ImageBytes];
        var labels = new int[count];
        int n = 0;
        foreach (var data in contents)
            for (int offset = 0; offset < data.Length; offset += RecordBytes, n++)
            {
                labels[n] = data[offset];
                Buffer.BlockCopy(data, offset + 1, pixels, n * ImageBytes, ImageBytes);
            }
        var (mean, std) = ChannelStatistics.Compute(pixels, Shape);
        return new Dataset(name, pixels, labels, Shape, Classes, mean, std);
    }

    static void Check(byte[] data, string file)
    {
        if (data.Length == 0)
            throw new DataFormatException(file, "file is empty");
        if (data.Length % RecordBytes != 0)
        {
            if (data.Length % Cifar100RecordBytes == 0)
                throw new DataFormatException(file,
                    $"{data.Length} bytes is a whole number of 3074-byte CIFAR-100 records, not of 3073-byte CIFAR-10 records",
                    "Only CIFAR-10 (binary version) is supported");
            throw new DataFormatException(file,
                $"truncated or not a CIFAR-10 binary batch: {data.Length} bytes is not a multiple of the 3073-byte record "
                + $"({data.Length / RecordBytes} whole records and {data.Length % RecordBytes} bytes left over)",
                "Use the binary version (cifar-10-binary.tar.gz), not the Python or MATLAB one");
        }
        for (int offset = 0, record = 0; offset < data.Length; offset += RecordBytes, record++)
            if (data[offset] >= Classes)
                throw new DataFormatException(file,
                    $"record {record} has label {data[offset]}; CIFAR-10 labels are 0..9",
                    "Only CIFAR-10 (binary version) is supported");
    }

    /// <summary>data_batch_N.bin files ordered by N, so data_batch_10 would follow data_batch_9.</summary>
    static string[] TrainingFiles(string folder)
        => Directory.Exists(folder)
            ? Directory.GetFiles(folder, "data_batch_*.bin")
                .Select(f => (File: f, Match: BatchName().Match(Path.GetFileName(f))))
                .Where(x => x.Match.Success)
                .OrderBy(x => int.Parse(x.Match.Groups[1].Value))
                .Select(x => x.File)
                .ToArray()
            : [];

    [GeneratedRegex(@"^data_batch_(\d+)\.bin$")]
    private static partial Regex BatchName();
}
