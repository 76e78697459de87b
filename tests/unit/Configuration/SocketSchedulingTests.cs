using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using PushCompare.UnitTests.Infrastructure;

namespace PushCompare.UnitTests.Configuration;

/// <summary>
/// Issue 8.5: Performance:InlineSocketScheduling relies on a process-wide variable the runtime reads once, when its
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
