namespace Amc.Reports;

/// <summary>One row of a comparison: a policy's cost and accuracy (test accuracy measured only after the search).</summary>
public sealed record PolicyResult(PolicyKind Kind, string Name, int[] Channels, long Macs, long Params, double MacsFraction, double ParamsFraction, double HeldOutTop1, double TestTop1, double TestTop5);
