namespace Amc.Data;

/// <summary>
/// A data file or folder that cannot be read as what it was given as. The message always names
/// the file, so a user with many files knows which one to look at, and says how to fix it where
/// the cause is clear.
/// </summary>
public sealed class DataFormatException : Exception
{
    public DataFormatException(string file, string problem, string? fix = null, Exception? inner = null)
        : base(fix is null ? $"{file}: {problem}" : $"{file}: {problem}. {fix}", inner)
    {
        File = file;
        Problem = problem;
    }

    public string File { get; }
    public string Problem { get; }
}
