using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;

namespace Amc.Onnx;

/// <summary>
/// ONNX Runtime's process-wide environment, with its telemetry off. Since 1.29 the official Linux
/// and macOS builds start a telemetry client when the environment is created: it writes a device
/// id and an event database to ~/.cache/Microsoft/DeveloperTools/.onnxruntime (under
/// $XDG_CACHE_HOME when set) and a `.ses` file to $TMPDIR, and may upload events. Setting
/// ORT_DISABLE_TELEMETRY=1 before the environment exists is the only full opt-out there;
/// DisableTelemetryEvents acts on an environment that already exists, so it only stops later
/// events (and is the switch for the Windows builds' ETW events). A user who set
/// ORT_DISABLE_TELEMETRY themselves keeps their value.
/// </summary>
public static class OnnxRuntimeEnvironment
{
    const string OptOut = "ORT_DISABLE_TELEMETRY";

    static readonly Lazy<OrtEnv> env = new(() =>
    {
        DisableTelemetry();
        var e = OrtEnv.Instance();
        e.DisableTelemetryEvents();
        return e;
    });

    /// <summary>The environment every session runs in; use it instead of OrtEnv.Instance().</summary>
    public static OrtEnv Instance => env.Value;

    /// <summary>
    /// Sets ORT_DISABLE_TELEMETRY=1 in the native environment ONNX Runtime reads (unless already
    /// set). Cheap and idempotent: the command calls it first thing, before other threads start.
    /// </summary>
    public static void DisableTelemetry()
    {
        if (Environment.GetEnvironmentVariable(OptOut) is not null) return;
        // On Unix, Environment.SetEnvironmentVariable changes only .NET's copy of the environment;
        // ONNX Runtime reads the C library's with getenv.
        if (!OperatingSystem.IsWindows()) SetEnv(OptOut, "1", overwrite: 0);
        Environment.SetEnvironmentVariable(OptOut, "1");
    }

    [DllImport("libc", EntryPoint = "setenv")]
    static extern int SetEnv([MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);
}
