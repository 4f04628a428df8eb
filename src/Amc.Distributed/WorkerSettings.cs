namespace Amc.Distributed;

/// <summary>
/// What a worker silo was told: the cluster's secret, the paths it serves (files, or folders and
/// everything under them), how to load a setup into a scorer (the command line's own loading) and
/// where to tell what it does.
/// </summary>
public sealed record WorkerSettings(string Secret, IReadOnlyList<string> Served, Func<ScoringSetup, ScoringContext> Load, Action<string>? Log = null);
