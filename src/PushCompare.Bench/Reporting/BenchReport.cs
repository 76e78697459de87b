using System.Text.Json;
using System.Text.Json.Serialization;
using PushCompare.Bench.Cli;
using PushCompare.Bench.Running;

namespace PushCompare.Bench.Reporting;

/// <summary>The JSON report: what was asked, where it ran, every run, and the derived tables.</summary>
public sealed record BenchReport(
    string Tool,
    DateTimeOffset StartedAt,
    string Command,
    MachineInfo Machine,
    BenchSettings Settings,
    IReadOnlyList<RunResult> Runs,
    IReadOnlyList<ReportTable> Tables,
    bool Ok);

public sealed record MachineInfo(int Processors, string Os, string Runtime, string? Cpu, long? MemoryBytes)
{
    public static MachineInfo Current() => new(Environment.ProcessorCount, System.Runtime.InteropServices.RuntimeInformation.OSDescription,
        System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription, CpuModel(), GC.GetGCMemoryInfo().TotalAvailableMemoryBytes);

    private static string? CpuModel()
    {
        try
        {
            return File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim();
        }
        catch (IOException)
        {
            return null;
        }
    }

    public override string ToString() => $"{Processors} cores{(Cpu is null ? "" : $" ({Cpu})")}, {Os}, {Runtime}";
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true, UseStringEnumConverter = true,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(BenchReport))]
internal sealed partial class ReportJson : JsonSerializerContext;

/// <summary>Writes <c>{scenario}.json</c>, <c>{scenario}.md</c> and <c>{scenario}.svg</c> into the output folder.</summary>
internal static class ReportWriter
{
    public static IReadOnlyList<string> Write(string directory, BenchReport report, ChartSpec chart)
    {
        Directory.CreateDirectory(directory);
        string name = report.Settings.Scenario;
        string json = Path.Combine(directory, name + ".json");
        string md = Path.Combine(directory, name + ".md");
        string svg = Path.Combine(directory, name + ".svg");
        File.WriteAllText(json, JsonSerializer.Serialize(report, ReportJson.Default.BenchReport));
        File.WriteAllText(svg, SvgChart.Render(chart));
        File.WriteAllText(md, MarkdownReport.Render($"PushCompare bench: {name}", report.Command, report.Machine.ToString(), report.Tables, name + ".svg"));
        return [json, md, svg];
    }

    public static BenchReport Read(string path) =>
        JsonSerializer.Deserialize(File.ReadAllText(path), ReportJson.Default.BenchReport) ?? throw new InvalidDataException($"{path} holds no report");
}
