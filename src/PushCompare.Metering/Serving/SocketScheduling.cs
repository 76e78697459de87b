using System.Net.Sockets;
using System.Reflection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace PushCompare.Serving;

public static partial class SocketScheduling
{
    public const string Setting = "Performance:InlineSocketScheduling";
    internal const string RuntimeVariable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";
    internal const string EngineThreadsVariable = "DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT";

    /// <summary>
    /// Runs request code on the socket's I/O thread instead of handing every read to the thread pool, which saves a hop
    /// per round trip and the CPU it costs (docs/benchmarks.md, "Runtime settings for a small box"). The app and the
    /// gateway both run with it (the gateway's proxying is all asynchronous too). Safe because no request code blocks;
    /// <c>Performance:InlineSocketScheduling=false</c> restores the framework default. Two layers take part: Kestrel's
    /// transport (<see cref="Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets.SocketTransportOptions.UnsafePreferInlineScheduling"/>,
    /// an option like any other) and the runtime's socket engine, which only process environment variables switch and
    /// only before the process's first asynchronous socket operation: inline completions, and how many engine threads
    /// (each its own epoll loop, running the request code of its sockets). What the runtime ended up with is logged.
    /// </summary>
    public static WebApplicationBuilder UseInlineSocketScheduling(this WebApplicationBuilder builder)
    {
        var performance = builder.Configuration.GetSection(PerformanceOptions.Section).Get<PerformanceOptions>() ?? new PerformanceOptions();
        builder.Services.AddValidatedOptions<PerformanceOptions, PerformanceOptionsValidator>(builder.Configuration.GetSection(PerformanceOptions.Section));
        bool inline = performance.InlineSocketScheduling;
        builder.WebHost.UseSockets(sockets => sockets.UnsafePreferInlineScheduling = inline);
        var runtime = inline ? EnableRuntimeInlineCompletions(performance.EngineThreads()) : new RuntimeState(RuntimeCompletions.NotRequested, null);
        builder.Services.AddHostedService(services => new Report(runtime, services.GetRequiredService<ILoggerFactory>()));
        return builder;
    }

    internal enum RuntimeCompletions { NotRequested, Inline, StartedWithout, Unknown }

    /// <param name="EngineThreads">the socket engine's thread count as the runtime created it; null when unreadable</param>
    internal readonly record struct RuntimeState(RuntimeCompletions Completions, int? EngineThreads);

    /// <summary>
    /// Sets the variables (an engine thread count already in the environment is the operator's and wins), then reads
    /// the engine's own state: reading it starts the engine if nothing has yet (so the variables are what it sees), and
    /// otherwise shows what it saw when something else started it first (e.g. a test process that had used a socket).
    /// No public API exposes that state; what is not there reads as unknown.
    /// </summary>
    private static RuntimeState EnableRuntimeInlineCompletions(int engineThreads)
    {
        Environment.SetEnvironmentVariable(RuntimeVariable, "1");
        if (Environment.GetEnvironmentVariable(EngineThreadsVariable) is null)
            Environment.SetEnvironmentVariable(EngineThreadsVariable, engineThreads.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var engine = typeof(Socket).Assembly.GetType("System.Net.Sockets.SocketAsyncEngine");
        var flag = engine?.GetField("InlineSocketCompletionsEnabled", BindingFlags.NonPublic | BindingFlags.Static);
        var completions = flag?.GetValue(null) switch
        {
            true => RuntimeCompletions.Inline,
            false => RuntimeCompletions.StartedWithout,
            _ => RuntimeCompletions.Unknown,
        };
        int? threads = (engine?.GetField("s_engines", BindingFlags.NonPublic | BindingFlags.Static)?.GetValue(null) as Array)?.Length;
        return new RuntimeState(completions, threads);
    }

    /// <summary>Writes the start-up line (a hosted service, because the logger exists only once the app is built).</summary>
    private sealed partial class Report(RuntimeState runtime, ILoggerFactory loggers) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            var logger = loggers.CreateLogger("PushCompare.Performance");
            string threads = runtime.EngineThreads?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "an unknown number of";
            switch (runtime.Completions)
            {
                case RuntimeCompletions.NotRequested: Off(logger, Setting); break;
                case RuntimeCompletions.Inline: On(logger, RuntimeVariable, threads); break;
                case RuntimeCompletions.StartedWithout: RuntimeAlreadyStarted(logger, Setting, RuntimeVariable); break;
                default: RuntimeUnknown(logger, RuntimeVariable); break;
            }
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        [LoggerMessage(EventId = 500, Level = LogLevel.Information,
            Message = "Inline socket scheduling is off ({Setting}=false): socket completions and request code run on the thread pool")]
        private static partial void Off(ILogger logger, string setting);

        [LoggerMessage(EventId = 501, Level = LogLevel.Information,
            Message = "Inline socket scheduling is on: Kestrel runs request code on the socket I/O thread and socket operations complete inline ({Variable}=1), on {Threads} socket engine thread(s)")]
        private static partial void On(ILogger logger, string variable, string threads);

        [LoggerMessage(EventId = 502, Level = LogLevel.Warning,
            Message = "{Setting} is on, but the runtime's socket engine had already started without inline completions (a socket was used before the app " +
                      "configured it, e.g. in a test host), so only Kestrel's half applies and every socket completion still goes through the thread pool. " +
                      "Set {Variable}=1 in the process environment before start to get both.")]
        private static partial void RuntimeAlreadyStarted(ILogger logger, string setting, string variable);

        [LoggerMessage(EventId = 503, Level = LogLevel.Information,
            Message = "Inline socket scheduling is on for Kestrel; whether the runtime completes socket operations inline ({Variable}=1) cannot be read on this runtime")]
        private static partial void RuntimeUnknown(ILogger logger, string variable);
    }
}
