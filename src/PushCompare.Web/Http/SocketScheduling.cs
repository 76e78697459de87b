using System.Net.Sockets;
using System.Reflection;

namespace PushCompare.Web.Http;

public static partial class SocketScheduling
{
    public const string Setting = "Performance:InlineSocketScheduling";
    internal const string RuntimeVariable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>
    /// Runs request code on the socket's I/O thread instead of handing every read to the thread pool. On the 2-core box
    /// it halves server CPU per WebSocket round trip (docs/benchmarks.md). Safe here because no request code blocks;
    /// <c>Performance:InlineSocketScheduling=false</c> restores the framework default. Two layers take part: Kestrel's
    /// transport (<see cref="Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets.SocketTransportOptions.UnsafePreferInlineScheduling"/>,
    /// an option like any other) and the runtime's socket engine, which only a process environment variable switches and
    /// only before the process's first asynchronous socket operation. Whether the latter took is logged at start-up.
    /// </summary>
    public static WebApplicationBuilder UseInlineSocketScheduling(this WebApplicationBuilder builder)
    {
        bool inline = builder.Configuration.GetValue(Setting, defaultValue: true);
        builder.WebHost.UseSockets(sockets => sockets.UnsafePreferInlineScheduling = inline);
        var runtime = inline ? EnableRuntimeInlineCompletions() : RuntimeCompletions.NotRequested;
        builder.Services.AddHostedService(services => new Report(runtime, services.GetRequiredService<ILoggerFactory>()));
        return builder;
    }

    internal enum RuntimeCompletions { NotRequested, Inline, StartedWithout, Unknown }

    /// <summary>
    /// Sets the variable, then reads the engine's own flag: reading it starts the engine if nothing has yet (so the
    /// variable is what it sees), and otherwise shows what it saw when something else started it first (e.g. a test
    /// process that had used a socket). No public API exposes the flag; if it is not there, the answer is Unknown.
    /// </summary>
    private static RuntimeCompletions EnableRuntimeInlineCompletions()
    {
        Environment.SetEnvironmentVariable(RuntimeVariable, "1");
        var flag = typeof(Socket).Assembly.GetType("System.Net.Sockets.SocketAsyncEngine")
            ?.GetField("InlineSocketCompletionsEnabled", BindingFlags.NonPublic | BindingFlags.Static);
        return flag?.GetValue(null) switch
        {
            true => RuntimeCompletions.Inline,
            false => RuntimeCompletions.StartedWithout,
            _ => RuntimeCompletions.Unknown,
        };
    }

    /// <summary>Writes the start-up line (a hosted service, because the logger exists only once the app is built).</summary>
    private sealed partial class Report(RuntimeCompletions runtime, ILoggerFactory loggers) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            var logger = loggers.CreateLogger("PushCompare.Performance");
            switch (runtime)
            {
                case RuntimeCompletions.NotRequested: Off(logger, Setting); break;
                case RuntimeCompletions.Inline: On(logger, RuntimeVariable); break;
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
            Message = "Inline socket scheduling is on: Kestrel runs request code on the socket I/O thread and socket operations complete inline ({Variable}=1)")]
        private static partial void On(ILogger logger, string variable);

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
