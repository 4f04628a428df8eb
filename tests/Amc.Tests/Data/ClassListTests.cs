using Amc.Data;
using SkiaSharp;
using static Amc.Tests.Data.DataFiles;

namespace Amc.Tests.Data;

public class ClassListTests
{
    static void WriteFolder(TempFolder dir, params string[] classes)
    {
        foreach (var root in new[] { "train", "val" })
            foreach (var c in classes)
                WritePng(Path.Combine(dir.Folder(root, c), "1.png"), 4, 4, (x, y) => SKColors.Gray);
    }

    [Fact]
    public void Labels_follow_the_list_not_the_folder_order()
    {
        using var dir = new TempFolder();
        WriteFolder(dir, "cat", "dog");
        // A synset-style file: the first word is the folder, the rest a description; a 3-class model.
        var list = dir.File("classes.txt");
        File.WriteAllText(list, "n0_bird a bird\n\ndog   Canis familiaris\ncat\n");

        var data = DataSource.Load(dir.Path, new ImageFolderOptions(Classes: ClassList.Read(list)));

        Assert.Equal(3, data.Train.Classes);
        Assert.Equal([2, 1], data.Train.Labels); // cat, dog in file order
        Assert.Equal([2, 1], data.Test.Labels);
        Assert.Equal(3, data.Test.Classes);
    }

    [Fact]
    public void A_class_folder_missing_from_the_list_is_refused_by_name()
    {
        using var dir = new TempFolder();
        WriteFolder(dir, "cat", "dog", "emu");
        var list = dir.File("classes.txt");
        File.WriteAllText(list, "dog\n");

        var e = Assert.Throws<DataFormatException>(() => DataSource.Load(dir.Path, new ImageFolderOptions(Classes: ClassList.Read(list))));

        Assert.Equal(dir.File("train", "cat"), e.File);
        Assert.Contains("2 of the 3 class folders are not in it: cat, emu", e.Message);
    }

    [Theory]
    [InlineData("", "names no class")]
    [InlineData("a\nb\na\n", "names class 'a' 2 times")]
    public void A_bad_list_is_refused(string text, string expected)
    {
        using var dir = new TempFolder();
        var list = dir.File("classes.txt");
        File.WriteAllText(list, text);
        Assert.Contains(expected, Assert.Throws<DataFormatException>(() => ClassList.Read(list)).Message);
    }
}
