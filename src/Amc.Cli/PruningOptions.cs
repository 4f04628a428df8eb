using System.CommandLine;
using Amc.Pruning;
using Amc.Sessions;

namespace Amc.Cli;

/// <summary>Options shared by prune and search: how a policy turns into a scored, pruned network.</summary>
public static class PruningOptions
{
    public static readonly Option<int> Round = new Option<int>("--round") { Description = "Round kept channels up to a multiple of this (1 = exact)", DefaultValueFactory = _ => 8 }.In(OptionRange.AtLeast(1));
    public static readonly Option<string> Criterion = new("--criterion") { Description = "Channel selection: l1 (AMC), l2 or random", DefaultValueFactory = _ => "l1" };
    public static readonly Option<int> CalibrationImages = new Option<int>("--calibration-images") { Description = "Training images sampled for least-squares reconstruction", DefaultValueFactory = _ => 3000 }.In(OptionRange.AtLeast(1));
    public static readonly Option<int> BatchNormImages = new Option<int>("--bn-images") { Description = "Training images used to re-estimate BN statistics after pruning", DefaultValueFactory = _ => 500 }.In(OptionRange.AtLeast(1));
    public static readonly Option<bool> NoBatchNorm = new("--no-bn-recalibration") { Description = "Keep the original BN statistics" };
    public static readonly Option<double> Ridge = new Option<double>("--ridge") { Description = "Relative ridge of the least squares", DefaultValueFactory = _ => 1e-4 }.In(OptionRange.NonNegative);

    public static void AddTo(Command cmd)
    {
        Criterion.AcceptOnlyFromAmong("l1", "l2", "random");
        foreach (var o in new Option[] { Round, Criterion, CalibrationImages, BatchNormImages, NoBatchNorm, Ridge }) cmd.Options.Add(o);
    }

    public static PruneOptions Read(ParseResult p, bool reconstruct)
    {
        return new PruneOptions(
            Round: p.GetValue(Round),
            Criterion: Enum.Parse<SelectionCriterion>(p.GetValue(Criterion)!, ignoreCase: true),
            Reconstruct: reconstruct,
            RecalibrateBatchNorm: !p.GetValue(NoBatchNorm),
            Ridge: p.GetValue(Ridge),
            Seed: p.GetValue(CommonOptions.Seed));
    }

    public static CalibrationSettings Calibration(ParseResult p) => new(p.GetValue(CalibrationImages), p.GetValue(BatchNormImages));
}
