using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using PushCompare.UnitTests.Infrastructure;
using PushCompare.Web.Sessions;

namespace PushCompare.UnitTests.ServerSentEvents;

/// <summary>
/// 1 ms ticks allowed, a backlog large enough that only the data rate can end the stream, small server-side socket
/// buffers (1 KiB) so a reader that stops reading backs the server's writes up within a second rather than megabytes,
/// and a minimum rate a stalled write misses at once (so the cut comes right after the 5 s grace).
/// </summary>
public sealed class StalledStreamApp : AppFactory
{
    public StalledStreamApp() : base(("Messaging:MinPushInterval", "00:00:00.001"), ("Sessions:MaxBacklogMessages", "1000000"),
        ("Sessions:MaxBacklogBytes", "100000000"), ("ServerLimits:MinDataBytesPerSecond", "50000"))
    {
        StartOnKestrel();
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSmallSocketBuffers();
    }
}

/// <summary>
/// A client that stops reading its stream is cut off by the minimum data rate
/// (ServerLimits:MinDataBytesPerSecond after its 5 s grace), while another stream keeps delivering meanwhile.
/// </summary>
public sealed class StalledReaderTests(StalledStreamApp app) : IClassFixture<StalledStreamApp>
{
    [Fact]
    public async Task A_stream_whose_client_stopped_reading_is_cut_off_and_another_stream_is_unaffected()
    {
        using var http = new HttpClient { BaseAddress = app.KestrelAddress };
        var store = app.Services.GetRequiredService<SessionStore>();
        var stalledSession = await http.OpenStreamSessionAsync("?push=1");
        // Reads nothing after its request: 1 ms ticks fill its 1 KiB buffers until the server's write stalls.
        await using var stalled = await RawConnection.OpenAsync(app.KestrelAddress, receiveBufferSize: 1024);
        await stalled.WriteAsync($"GET /sse/{stalledSession.Id} HTTP/1.1\r\nHost: {app.KestrelAddress.Authority}\r\nAccept: text/event-stream\r\n\r\n");
        await Eventually.AssertAsync(() => store.Find(stalledSession.Id).Session!.IsBeingRead, "the stalled client's stream is open");

        var bystander = await http.OpenStreamSessionAsync("?echo=exact");
        using var bystanderHttp = new HttpClient { BaseAddress = app.KestrelAddress };
        await using var stream = await EventStream.OpenAsync(bystanderHttp, bystander.Id);
        int echoes = 0;
        await Eventually.AssertAsync(async () =>
        {
            await http.SendStreamAcceptedAsync(bystander.Id, $"{++echoes}", $"?seq={echoes}&ack={echoes - 1}");
            Assert.Equal($"{echoes}", (await stream.NextMessageAsync())!.Data);
            return !store.Find(stalledSession.Id).Session!.IsBeingRead;
        }, "the server cuts off the stream nobody reads", TimeSpan.FromSeconds(30));

        Assert.True(echoes > 1, "the bystander should have been answered while the stalled stream was open");
    }
}
