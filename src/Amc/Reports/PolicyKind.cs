namespace Amc.Reports;

/// <summary>What a row of a search's comparison is: the network before pruning, a hand-crafted baseline, or the search's own result.</summary>
public enum PolicyKind { Original, Baseline, Search }
