namespace Amc.Latency;

/// <summary>
/// A conv or linear layer as the latency table sees it: its op at full width, every input and
/// output width the action space can reach, and the subset of those that were measured (the grid;
/// equal to the reachable values unless there were more than the per-axis limit). A depthwise
/// conv (or another grouped conv as wide as its input) has one axis: its output width is its
/// input width, and its group count follows the width.
/// </summary>
public sealed record LatencyTableLayer(
    string Name, string InputTensor, LatencyOp Full, bool Depthwise,
    int[] InValues, int[] OutValues, int[] InGrid, int[] OutGrid)
{
    /// <summary>The op this layer runs at the given widths.</summary>
    public LatencyOp At(int inWidth, int outWidth) => Depthwise
        ? Full with { In = inWidth, Out = inWidth, Groups = inWidth / (Full.Out / Full.Groups) }
        : Full with { In = inWidth, Out = outWidth };

    /// <summary>Every op the table measures for this layer.</summary>
    public IEnumerable<LatencyOp> GridOps() => Depthwise
        ? InGrid.Select(i => At(i, i))
        : InGrid.SelectMany(i => OutGrid.Select(o => At(i, o)));
}
