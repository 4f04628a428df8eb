namespace Amc.Pruning;

/// <summary>
/// How channels are ranked: by the L1 (AMC's choice) or L2 norm of the weights that read them in
/// every consuming layer, or at random (an ablation baseline).
/// </summary>
public enum SelectionCriterion { L1, L2, Random }
