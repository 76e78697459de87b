using System.Globalization;
using PushCompare.Bench.Targets;

namespace PushCompare.Bench.Metrics;

/// <summary>CPU time (user + system) and resident memory of a process at one instant, read from /proc.</summary>
internal readonly record struct ProcessSample(double CpuSeconds, long RssBytes)
{
    /// <summary>Reads /proc/[pid]/stat (utime, stime) and /proc/[pid]/status (VmRSS); null when the process is gone or not on Linux.</summary>
    public static ProcessSample? Read(int? pid)
    {
        if (pid is not { } id || !OperatingSystem.IsLinux()) return null;
        try
        {
            string stat = File.ReadAllText($"/proc/{id}/stat");
            // Field 2 (comm) may contain spaces and parentheses; everything after the last ')' is space-separated from field 3 on.
            string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            long ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture); // utime, stime
            long rssKb = 0;
            foreach (var line in File.ReadLines($"/proc/{id}/status"))
            {
                if (!line.StartsWith("VmRSS:", StringComparison.Ordinal)) continue;
                rssKb = long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
                break;
            }
            return new ProcessSample((double)ticks / Native.ClockTicksPerSecond, rssKb * 1024);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>Each of <paramref name="processes"/> (a cluster's, or one app's), in order; null when there are none or one cannot be read.</summary>
    public static ProcessSample[]? ReadAll(IReadOnlyList<ServerProcess> processes)
    {
        if (processes.Count == 0) return null;
        var samples = new ProcessSample[processes.Count];
        for (int i = 0; i < samples.Length; i++)
        {
            if (Read(processes[i].Pid) is not { } sample) return null;
            samples[i] = sample;
        }
        return samples;
    }

    /// <summary>CPU time and resident memory of several processes together.</summary>
    public static ProcessSample Sum(ProcessSample[] samples) => new(samples.Sum(s => s.CpuSeconds), samples.Sum(s => s.RssBytes));

    /// <summary>The bench's own process, so a report shows when the client itself was the bottleneck.</summary>
    public static ProcessSample Self()
    {
        using var self = System.Diagnostics.Process.GetCurrentProcess();
        return new ProcessSample(self.TotalProcessorTime.TotalSeconds, self.WorkingSet64);
    }
}
