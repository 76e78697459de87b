using System.Runtime.InteropServices;

namespace PushCompare.Hosting;

/// <summary>The libc calls .NET has no API for: signals to a child (a graceful SIGTERM, a freeze and a thaw), and the /proc clock-tick rate.</summary>
public static class Native
{
    public const int SigTerm = 15;
    private const int SigCont = 18, SigStop = 19; // Linux on x86 and ARM
    private const int ScClkTck = 2; // _SC_CLK_TCK on Linux

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    [DllImport("libc", EntryPoint = "sysconf")]
    private static extern long SysConf(int name);

    public static bool Terminate(int pid) => OperatingSystem.IsLinux() && Kill(pid, SigTerm) == 0;

    /// <summary>SIGSTOP: the process stops running but keeps its sockets open, as a hung server does.</summary>
    public static bool Freeze(int pid) => OperatingSystem.IsLinux() && Kill(pid, SigStop) == 0;

    /// <summary>SIGCONT: a frozen process runs on.</summary>
    public static bool Thaw(int pid) => OperatingSystem.IsLinux() && Kill(pid, SigCont) == 0;

    /// <summary>Clock ticks per second used by /proc/[pid]/stat (USER_HZ, 100 on every mainstream Linux).</summary>
    public static long ClockTicksPerSecond { get; } = OperatingSystem.IsLinux() && SysConf(ScClkTck) is > 0 and var hz ? hz : 100;
}
