namespace Amc.Data;

/// <summary>
/// Turns what the user typed after --data into a training set and a test set: a data set name
/// (fashion-mnist, fashion-mnist-subset) or a path whose format is recognised from its files.
/// </summary>
public static class DataSource
{
    public const string FashionMnist = "fashion-mnist";
    public const string FashionMnistSubset = "fashion-mnist-subset";
    /// <summary>Where Debian's dataset-fashion-mnist package installs the full data set.</summary>
    public const string DebianFashionMnistFolder = "/usr/share/datasets/fashion-mnist";

    const string Expected =
        "Expected a data set name (fashion-mnist, fashion-mnist-subset) or a folder holding either "
        + "train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz] and t10k-labels-idx1-ubyte[.gz] (MNIST / Fashion-MNIST IDX), "
        + "or data_batch_*.bin and test_batch.bin or a cifar-10-batches-bin folder (CIFAR-10 binary version), "
        + "or train/ and test/ (or val/) folders with one sub-folder of images per class, "
        + "or images directly in the folder (no labels: for --reward agreement or fidelity, finetune --distill and eval --against)";

    /// <summary>
    /// Loads a data set. <paramref name="imageOptions"/> applies to image folders only (channels
    /// and size); IDX and CIFAR files fix their own.
    /// </summary>
    public static TrainTestData Load(string spec, ImageFolderOptions? imageOptions = null)
        => Load(spec, imageOptions, DebianFashionMnistFolder);

    /// <summary>
    /// What to tell a user whose <c>fashion-mnist</c> will be the embedded 6000-image subset because the
    /// Debian package's files are missing; null when they are there or another data set is asked for.
    /// </summary>
    public static string? SubsetFallbackWarning(string spec, string debianFolder = DebianFashionMnistFolder) =>
        spec == FashionMnist && FindIdxFiles(debianFolder) is null
            ? $"--data {FashionMnist}: the Debian package dataset-fashion-mnist is not installed (no IDX files in {debianFolder}), " +
              $"so the embedded {FashionMnistSubset} (6000 training / 1000 test images) is used; for the full set: apt-get install dataset-fashion-mnist"
            : null;

    internal static TrainTestData Load(string spec, ImageFolderOptions? imageOptions, string debianFolder)
    {
        if (spec == FashionMnist)
            return FindIdxFiles(debianFolder) is { } files
                ? LoadIdx(files, FashionMnist, $"Debian package dataset-fashion-mnist ({debianFolder})")
                : LoadEmbeddedSubset();
        if (spec == FashionMnistSubset)
            return LoadEmbeddedSubset();
        if (File.Exists(spec))
            throw new DataFormatException(spec, "is a file; a data set is given by a folder", Expected);
        if (!Directory.Exists(spec))
            throw new DataFormatException(spec, "is neither a known data set name nor an existing folder", Expected);

        string name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(spec)));
        if (FindIdxFiles(spec) is { } idx)
            return LoadIdx(idx, name, $"IDX files in {spec}");
        if (Cifar10Reader.IsCifarFolder(spec) || Directory.Exists(Path.Combine(spec, "cifar-10-batches-bin")))
        {
            var (train, test) = Cifar10Reader.ReadFolder(spec, name);
            return Finish(train, test, $"CIFAR-10 binary files in {spec}");
        }
        var trainFolder = Path.Combine(spec, "train");
        var testFolder = new[] { "test", "val" }.Select(f => Path.Combine(spec, f)).FirstOrDefault(Directory.Exists);
        if (Directory.Exists(trainFolder) && testFolder is not null)
        {
            var classes = imageOptions?.Classes ?? ImageFolderReader.ClassNames(trainFolder);
            var train = ImageFolderReader.Read(trainFolder, imageOptions, classes);
            // The test images must come out in the training images' shape whatever their own
            // (shared) size; a resize asked for applies to both folders. Their statistics are the
            // training set's (Finish), so they are not measured.
            var testOptions = imageOptions is { Resizes: true } ? imageOptions with { Width = train.Shape.W, Height = train.Shape.H } : imageOptions;
            var test = ImageFolderReader.Read(testFolder, testOptions, classes, fitTo: (train.Shape.W, train.Shape.H), statistics: false);
            return Finish(train with { Name = name }, test with { Name = name }, $"image folders {trainFolder} and {testFolder}");
        }
        if (ImageFolderReader.ImagesIn(spec).Length > 0)
        {
            // No labels and no test images: a user with a folder of their own images scores against
            // the unpruned network on its held-out split and distils from it.
            var images = ImageFolderReader.ReadUnlabelled(spec, imageOptions);
            var none = images with { Labels = [], Files = new ImageFiles([], images.Shape, images.Files!.Transform) };
            return Finish(images with { Name = name }, none with { Name = name }, $"unlabelled images in {spec}");
        }
        throw new DataFormatException(spec, "does not hold a data set in a recognised layout", Expected);
    }

    /// <summary>The Fashion-MNIST subset embedded in this assembly (see data/fashion-mnist-subset/README.md).</summary>
    public static TrainTestData LoadEmbeddedSubset()
    {
        var train = IdxReader.Read(Resource("train-images-idx3-ubyte.gz"), Source("train-images-idx3-ubyte.gz"),
            Resource("train-labels-idx1-ubyte.gz"), Source("train-labels-idx1-ubyte.gz"), FashionMnistSubset);
        var test = IdxReader.Read(Resource("t10k-images-idx3-ubyte.gz"), Source("t10k-images-idx3-ubyte.gz"),
            Resource("t10k-labels-idx1-ubyte.gz"), Source("t10k-labels-idx1-ubyte.gz"), FashionMnistSubset);
        return Finish(train, test, $"embedded Fashion-MNIST subset ({train.Count} training / {test.Count} test images)");

        static string Source(string file) => $"embedded resource {FashionMnistSubset}/{file}";
        static byte[] Resource(string file)
        {
            using var stream = typeof(DataSource).Assembly.GetManifestResourceStream($"{FashionMnistSubset}/{file}")
                ?? throw new DataFormatException(Source(file), "is missing from the Amc assembly",
                    "Build src/Amc from a checkout that has data/fashion-mnist-subset/");
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            return copy.ToArray();
        }
    }

    record IdxFiles(string TrainImages, string TrainLabels, string TestImages, string TestLabels);

    /// <summary>
    /// The four IDX files of a folder, or null when it has no training images file. Accepts the
    /// original names, gzipped or not, and the "train-images.idx3-ubyte" spelling some mirrors use.
    /// </summary>
    static IdxFiles? FindIdxFiles(string folder)
    {
        var trainImages = Find(folder, "train", "images", "idx3");
        if (trainImages is null)
            return null;
        string Require(string split, string kind, string rank)
            => Find(folder, split, kind, rank) ?? throw new DataFormatException(folder,
                $"has {Path.GetFileName(trainImages)} but no {split}-{kind}-{rank}-ubyte[.gz]",
                "An IDX data set needs the training and t10k (test) images and labels files");
        return new IdxFiles(trainImages, Require("train", "labels", "idx1"),
            Require("t10k", "images", "idx3"), Require("t10k", "labels", "idx1"));

        static string? Find(string folder, string split, string kind, string rank)
            => new[] { $"{split}-{kind}-{rank}-ubyte", $"{split}-{kind}.{rank}-ubyte" }
                .SelectMany(n => new[] { n, n + ".gz" })
                .Select(n => Path.Combine(folder, n))
                .FirstOrDefault(File.Exists);
    }

    static TrainTestData LoadIdx(IdxFiles files, string name, string origin)
        => Finish(IdxReader.Read(files.TrainImages, files.TrainLabels, name),
            IdxReader.Read(files.TestImages, files.TestLabels, name), origin);

    /// <summary>Gives the test set the training set's normalisation and a common class count.</summary>
    static TrainTestData Finish(Dataset train, Dataset test, string origin)
    {
        if (train.Shape != test.Shape)
            throw new DataFormatException(origin, $"training images are {train.Shape} but test images are {test.Shape}");
        int classes = Math.Max(train.Classes, test.Classes);
        return new TrainTestData(train with { Classes = classes },
            test with { Classes = classes, Mean = train.Mean, Std = train.Std }, origin);
    }
}
