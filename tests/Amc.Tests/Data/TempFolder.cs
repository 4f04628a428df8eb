namespace Amc.Tests.Data;

/// <summary>A fresh folder under the system temp folder, deleted with its contents on Dispose.</summary>
sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("amc-data-test-").FullName;

    public string File(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public string Folder(params string[] parts) => Directory.CreateDirectory(File(parts)).FullName;

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
