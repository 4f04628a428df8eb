namespace Amc.Cli;

/// <summary>The user asked for something that cannot work as given; reported in one line with exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);
