using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PushCompare.UnitTests.Infrastructure;

namespace PushCompare.UnitTests.Configuration;

/// <summary>
/// Performance:InlineSocketScheduling relies on a process-wide variable the runtime reads once, when its
/// socket engine starts. The app must say at start-up whether that part is in effect, not assume it.
/// </summary>
public sealed class SocketSchedulingTests
{
    private sealed class LoggedApp(CapturingLoggerProvider logs, string inline)
        : AppFactory(("Performance:InlineSocketScheduling", inline), ("Logging:LogLevel:PushCompare", "Information"))
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureLogging(logging => logging.AddProvider(logs));
        }
    }

    [Fact]
    public async Task With_the_setting_on_the_start_up_log_reports_what_the_runtime_actually_does()
    {
        // Observed without the app: an inline completion runs the receive's continuation on the socket engine's own
        // thread, otherwise it is queued to the thread pool. Observing starts the engine (if an earlier host of this
        // process has not), so from here on the app's setting cannot change it: it has to report it.
        bool runtimeInline = await SocketCompletionsRunInlineAsync();
        var logs = new CapturingLoggerProvider();
        await using var app = new LoggedApp(logs, "true");
        _ = app.Server;

        var report = Assert.Single(logs.Entries, e => e.Category == "PushCompare.Performance");
        if (runtimeInline)
        {
            Assert.Equal(LogLevel.Information, report.Level);
            Assert.Contains("socket operations complete inline", report.Message);
        }
        else
        {
            Assert.Equal(LogLevel.Warning, report.Level);
            Assert.Contains("already started without inline completions", report.Message);
            Assert.Contains("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1", report.Message); // what to do about it
        }
    }

    [Fact]
    public void With_the_setting_off_the_start_up_log_says_so_and_warns_of_nothing()
    {
        var logs = new CapturingLoggerProvider();
        using var app = new LoggedApp(logs, "false");
        _ = app.Server;

        var report = Assert.Single(logs.Entries, e => e.Category == "PushCompare.Performance");
        Assert.Equal(LogLevel.Information, report.Level);
        Assert.Contains("off", report.Message);
    }

    // A process of its own: in this test process a socket was used long before any app, so the engine is already there.
    [Theory]
    [InlineData(null)] // the default: one per core but one (1 on the 2-core box)
    [InlineData("3")]  // an operator's DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT wins over the setting
    public async Task A_started_app_logs_the_socket_engine_threads_the_runtime_created(string? variable)
    {
        int expected = variable is null ? Math.Max(1, Environment.ProcessorCount - 1) : int.Parse(variable, System.Globalization.CultureInfo.InvariantCulture);
        string wanted = $"complete inline (DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1), on {expected} socket engine thread(s)";
        var report = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        string dll = Hosting.DotnetApp.BuildMetadata(typeof(SocketSchedulingTests).Assembly, "PushCompare.WebDll")!;
        using var cancel = new CancellationTokenSource(Eventually.DefaultDeadline);
        var (child, _) = await Hosting.DotnetApp.StartAsync("the app", dll, ["--Logging:LogLevel:PushCompare=Information"],
            variable is null ? [] : [$"DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT={variable}"], cancel.Token,
            onLine: line => { if (line.Contains("socket engine thread", StringComparison.Ordinal)) report.TrySetResult(line); });
        await using var _ = child;

        // The console logger writes in the background, so the line may come after "Application started".
        Assert.Contains(wanted, await report.Task.Within("the start-up line about socket engine threads"));
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("1025")]
    public void An_engine_thread_count_out_of_range_refuses_start_up_naming_it(string threads)
    {
        using var app = new StartupFailureFactory(("Performance:SocketEngineThreads", threads));

        var error = Assert.Throws<OptionsValidationException>(() => app.Server);

        Assert.Equal("PerformanceOptions", error.OptionsType.Name);
        Assert.Contains("SocketEngineThreads", Assert.Single(error.Failures));
    }

    [Theory]
    [InlineData(0, 2, 1)]   // the 2-core box: one thread, one core left for the rest
    [InlineData(0, 1, 1)]   // never none
    [InlineData(0, 16, 15)]
    [InlineData(4, 2, 4)]   // an explicit count is taken as given
    public void Zero_means_one_engine_thread_per_core_but_one(int setting, int cores, int expected) =>
        Assert.Equal(expected, new Serving.PerformanceOptions { SocketEngineThreads = setting }.EngineThreads(cores));

    private static async Task<bool> SocketCompletionsRunInlineAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(listener.LocalEndPoint!);
        using var server = await listener.AcceptAsync();

        var receive = ContinuesOffThePoolAsync(server); // pending: nothing has been sent yet
        await client.SendAsync(new byte[1]);
        return await receive.WaitAsync(Eventually.DefaultDeadline);

        static async Task<bool> ContinuesOffThePoolAsync(Socket socket)
        {
            await socket.ReceiveAsync(new byte[1]).ConfigureAwait(false);
            return !Thread.CurrentThread.IsThreadPoolThread;
        }
    }
}
