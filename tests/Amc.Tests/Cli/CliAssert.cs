namespace Amc.Tests.Cli;

static class CliAssert
{
    /// <summary>
    /// The bad-input contract: exit code 2 and exactly one "error: ..." line on stderr, no stack
    /// trace. Warnings said before it (a latency table timed under other conditions) may precede it.
    /// </summary>
    public static string BadInput(CliResult r)
    {
        Assert.True(r.ExitCode == 2, r.ToString());
        var lines = r.StderrLines.Where(l => !l.StartsWith("warning: ")).ToArray();
        Assert.True(lines.Length == 1, $"expected one line on stderr\n{r}");
        Assert.StartsWith("error: ", lines[0]);
        Assert.DoesNotContain("   at ", r.Stderr);
        Assert.DoesNotContain("Exception", r.Stderr);
        return lines[0];
    }

    public static void Ok(CliResult r) => Assert.True(r.ExitCode == 0, r.ToString());
}
