namespace Amc.Distributed;

/// <summary>
/// A cluster problem the user must fix (exit code 2, one line): a bad cluster config, work a
/// worker refused (wrong secret, a path it does not serve), no worker to score on.
/// </summary>
public sealed class ClusterException(string message) : Exception(message);
