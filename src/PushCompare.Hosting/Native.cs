using System.Runtime.InteropServices;

namespace PushCompare.Hosting;

/// <summary>The two libc calls .NET has no API for: a graceful SIGTERM to a child, and the /proc clock-tick rate.</summary>
public static class Native
{
    public const int SigTerm = 15;
    private const int ScClkTck = 2; // _SC_CLK_TCK on Linux

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    [DllImport("libc", EntryPoint = "sysconf")]
    private static extern long SysConf(int name);

    public static bool Terminate(int pid) => OperatingSystem.IsLinux() && Kill(pid, SigTerm) == 0;

    /// <summary>Clock ticks per second used by /proc/[pid]/stat (USER_HZ, 100 on every mainstream Linux).</summary>
    public static long ClockTicksPerSecond { get; } = OperatingSystem.IsLinux() && SysConf(ScClkTck) is > 0 and var hz ? hz : 100;
}
