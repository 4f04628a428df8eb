// Plots and tabulates searches' episode logs side by side, for docs/BENCHMARKS.md "Result quality":
//   dotnet run -c Release --project bench/SearchCurves -- OUT-PREFIX NAME=RUN-FOLDER [NAME=RUN-FOLDER ...]
// writes OUT-PREFIX-curves.png (rolling median of the held-out accuracy of an episode) and, for each
// DDPG run with diagnostics, OUT-PREFIX-NAME-ddpg.png and OUT-PREFIX-NAME-actions.png; prints a
// Markdown table of the median held-out top-1 per block of 100 episodes.
using Amc.Reports;
using Amc.Search;

if (args.Length < 2)
{
    Console.Error.WriteLine("usage: SearchCurves OUT-PREFIX NAME=RUN-FOLDER [NAME=RUN-FOLDER ...]");
    return 2;
}
string prefix = args[0];
var runs = new Dictionary<string, IReadOnlyList<EpisodeRecord>>();
foreach (var a in args.Skip(1))
{
    int eq = a.IndexOf('=');
    runs[a[..eq]] = SearchRunner.ReadLog(Path.Combine(a[(eq + 1)..], "episodes.jsonl"));
}
SearchPlots.LearningCurves(runs, prefix + "-curves.png", "Held-out accuracy of an episode (rolling median)");
foreach (var (name, episodes) in runs)
{
    string safe = string.Concat(name.Select(c => char.IsLetterOrDigit(c) || c == '-' ? c : '-'));
    SearchPlots.Ddpg(episodes, $"{prefix}-{safe}-ddpg.png");
    var groups = Enumerable.Range(0, episodes[0].Keep.Length).Select(g => $"g{g}").ToList();
    SearchPlots.Actions(episodes, groups, $"{prefix}-{safe}-actions.png");
}

static string Median(IEnumerable<double> values)
{
    var v = values.Order().ToArray();
    if (v.Length == 0) return "";
    double m = v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    return $"{100 * m:F1}";
}

int blocks = runs.Values.Max(r => r.Count + 99) / 100;
Console.WriteLine("| run | " + string.Join(" | ", Enumerable.Range(0, blocks).Select(b => $"episodes {100 * b}-{100 * b + 99}")) + " | best held-out |");
Console.WriteLine("|---|" + string.Concat(Enumerable.Repeat("---:|", blocks + 1)));
foreach (var (name, episodes) in runs)
    Console.WriteLine($"| {name} | " + string.Join(" | ", Enumerable.Range(0, blocks).Select(b =>
        Median(episodes.Where(e => e.Episode / 100 == b).Select(e => e.Top1)))) + $" | {100 * episodes.Max(e => e.Top1):F1} |");
return 0;
