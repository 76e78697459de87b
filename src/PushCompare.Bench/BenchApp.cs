using System.CommandLine;
using PushCompare.Bench.Cli;
using PushCompare.Bench.Running;
using Spectre.Console;

namespace PushCompare.Bench;

/// <summary>Entry point shared by the executable and the tests: parses the command line and runs the scenario.</summary>
public static class BenchApp
{
    /// <summary>Runs the bench; 0 when every run passed its checks, non-zero otherwise.</summary>
    public static Task<int> RunAsync(string[] args, TextWriter output, CancellationToken cancel = default)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            // Colour only on a real terminal: logs and test output stay plain text.
            Ansi = ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected ? AnsiSupport.Detect : AnsiSupport.No,
            Interactive = InteractionSupport.Detect,
        });
        // Logs and files have no terminal width; Spectre would assume 80 columns and wrap every table cell.
        if (!console.Profile.Capabilities.Interactive || Console.IsOutputRedirected) console.Profile.Width = 240;
        string command = "dotnet run -c Release --project src/PushCompare.Bench -- " + string.Join(' ', args.Select(Quote));
        var root = Commands.Build((settings, ct) => new BenchRunner(settings, console, command).RunAsync(ct));
        return root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = output }, cancel);
    }

    private static string Quote(string arg) => arg.Length > 0 && arg.All(c => char.IsLetterOrDigit(c) || "-_=:.,/@".Contains(c)) ? arg : $"'{arg}'";
}
