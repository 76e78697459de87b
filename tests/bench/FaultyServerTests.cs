using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace PushCompare.BenchTests;

/// <summary>
/// The bench's correctness checks against servers that deliver wrongly on purpose (via <c>--url</c>): a run that
/// loses or repeats a message must say so and exit non-zero, however fast it was.
/// </summary>
public sealed class FaultyServerTests
{
    [Fact]
    public async Task A_reply_sent_twice_fails_the_run()
    {
        await using var server = await FaultyEcho.StartAsync(n => n % 5 == 0 ? 2 : 1);
        var bench = await BenchRun.StartAsync("echo", "--url", server.Url, "-c", "1", "-d", "1", "--warmup", "0");

        Assert.Equal(1, bench.ExitCode);
        var run = bench.Single;
        Assert.False(run.Ok);
        Assert.True(run.Totals.Duplicates > 0);
        Assert.Contains(run.Problems, p => p.Contains("delivered twice", StringComparison.Ordinal));
        Assert.Contains("runs failed", bench.Output);
    }

    [Fact]
    public async Task A_reply_never_sent_fails_the_run()
    {
        // Open loop keeps sending, so the reply after the dropped one reveals the gap.
        await using var server = await FaultyEcho.StartAsync(n => n == 7 ? 0 : 1);
        var bench = await BenchRun.StartAsync("echo", "--url", server.Url, "-c", "1", "-d", "1", "--warmup", "0", "--rate", "50", "--drain", "2");

        Assert.Equal(1, bench.ExitCode);
        var run = bench.Single;
        Assert.Equal(1, run.Totals.Lost);
        Assert.Equal(run.Totals.Sent - 1, run.Totals.Received);
        Assert.Contains(run.Problems, p => p.Contains("1 messages lost", StringComparison.Ordinal));
    }

    /// <summary>A WebSocket echo on a free loopback port that sends reply n <c>copies(n)</c> times.</summary>
    private sealed class FaultyEcho(WebApplication app) : IAsyncDisposable
    {
        public string Url { get; } = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        public static async Task<FaultyEcho> StartAsync(Func<int, int> copies)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            var app = builder.Build();
            // The bench reads which transports a server offers from its registry before anything else.
            app.MapGet("/api/stats", () => Results.Json(new { transports = new { websocket = new { label = "WebSocket" }, other = new { label = "Other" } } }));
            app.UseWebSockets();
            app.Map("/ws", async (HttpContext context) =>
            {
                using var socket = await context.WebSockets.AcceptWebSocketAsync();
                var buffer = new byte[1024];
                for (int n = 1; ; n++)
                {
                    var result = await socket.ReceiveAsync(buffer, CancellationToken.None);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                        return;
                    }
                    for (int i = 0; i < copies(n); i++)
                        await socket.SendAsync(buffer.AsMemory(0, result.Count), result.MessageType, true, CancellationToken.None);
                }
            });
            await app.StartAsync();
            return new FaultyEcho(app);
        }

        public async ValueTask DisposeAsync()
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}
