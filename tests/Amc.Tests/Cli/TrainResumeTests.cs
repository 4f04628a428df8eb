using System.Diagnostics;
using System.Runtime.InteropServices;
using Amc.Tests.Data;
using Amc.Torch;

namespace Amc.Tests.Cli;

/// <summary>
/// A run stopped after epoch 1 of 2 and resumed ends with the same weights as a run that was never
/// stopped. The stopped run is a snapshot of the uninterrupted one: it is frozen (SIGSTOP) as soon
/// as its epoch-1 checkpoint appears, the checkpoint and optimizer state are copied, and it is let
/// go to finish. The product needs no hook for this.
/// </summary>
public class TrainResumeTests
{
    const int SIGSTOP = 19, SIGCONT = 18;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    static extern int Signal(int pid, int signal);

    [LinuxFact]
    public void Run_resumed_after_epoch_1_ends_with_the_weights_of_an_uninterrupted_run()
    {
        using var temp = new TempFolder();
        var data = TinyIdxData.Write(temp.File("data"));
        string whole = temp.File("whole.amc"), resumed = temp.File("resumed.amc");
        string[] args = ["train", "--model", "resnet20", "--width", "0.25", "--data", data, "--epochs", "2", "--out", whole];

        // The freeze can come too late on a busy machine (epoch 2 already saved its optimizer state): try again.
        for (int attempt = 1; ; attempt++)
        {
            File.Delete(whole);
            var process = CliRun.Start(args);
            bool snapshot = SnapshotAfterFirstEpoch(process, whole, resumed);
            CliAssert.Ok(CliRun.Run(process, args));
            if (snapshot) break;
            Assert.True(attempt < 3, "could not freeze the run between its epoch 1 and epoch 2 saves in 3 attempts");
        }

        var r = CliRun.Amc("train", "--resume", "--out", resumed, "--epochs", "2", "--data", data);
        CliAssert.Ok(r);
        Assert.Contains("epoch 2/2", r.Stderr);
        Assert.DoesNotContain("epoch 1/2", r.Stderr);
        CheckpointWeights.AssertEqual(whole, resumed);
    }

    /// <summary>Copies the epoch-1 checkpoint and optimizer state; false when the run was already past them.</summary>
    static bool SnapshotAfterFirstEpoch(Process process, string checkpoint, string copy)
    {
        var clock = Stopwatch.StartNew();
        while (!File.Exists(checkpoint))
        {
            Assert.False(process.HasExited, "training ended before writing its first checkpoint");
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), "no checkpoint after 60 s");
            Thread.Sleep(1);
        }
        Assert.Equal(0, Signal(process.Id, SIGSTOP));
        try
        {
            // The optimizer state is saved before the checkpoint, so the epoch-2 state is newer than the epoch-1 checkpoint.
            string optim = checkpoint + ".optim";
            if (Checkpoint.Load(checkpoint).Info.EpochsDone != 1 || File.GetLastWriteTimeUtc(optim) > File.GetLastWriteTimeUtc(checkpoint))
                return false;
            File.Copy(checkpoint, copy, overwrite: true);
            File.Copy(optim, copy + ".optim", overwrite: true);
            return true;
        }
        finally
        {
            Assert.Equal(0, Signal(process.Id, SIGCONT));
        }
    }
}
