using System.Net;
using System.Net.WebSockets;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using PushCompare.UnitTests.Infrastructure;
using PushCompare.Web.Polling;
using PushCompare.Web.Sessions;
using PushCompare.Web.Messaging;

namespace PushCompare.UnitTests.Lifecycle;

/// <summary>Stopping the host during traffic closes WebSockets with 1001 and drops nothing accepted with 202.</summary>
public sealed class ShutdownTests
{
    private sealed class StoppableApp : AppFactory
    {
        public StoppableApp() : base(("LongPolling:PollTimeout", "00:00:30"), ("Sessions:ShutdownDrainTimeout", "00:00:20"))
        {
            StartOnKestrel();
        }
    }

    [Fact]
    public async Task Stopping_the_host_closes_WebSockets_with_1001_answers_held_polls_with_410_and_delivers_every_accepted_reply()
    {
        await using var app = new StoppableApp();
        using var http = new HttpClient { BaseAddress = app.KestrelAddress };
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri($"ws://{app.KestrelAddress.Authority}/ws"), CancellationToken.None);
        Assert.Equal("Received: before", await socket.EchoTextAsync("before"));

        var idle = await http.OpenSessionAsync();
        var heldPoll = http.PollAsync(idle.Id, 0);
        await app.WaitUntilHeldAsync(idle.Id);
        var busy = await http.OpenSessionAsync();
        for (int seq = 1; seq <= 3; seq++) await SendAsync(http, busy.Id, seq, HttpStatusCode.Accepted);

        var stopped = app.AppHost!.StopAsync(); // what SIGTERM does

        var close = await socket.ReceiveMessageAsync();
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, close.CloseStatus);
        await socket.CompleteCloseAsync();

        var gone = await ProblemAssert.IsProblemAsync(await heldPoll.Within("the held poll is answered"), HttpStatusCode.Gone);
        Assert.Contains("shutting down", ProblemAssert.Detail(gone));

        // Until the drain reaches the busy session a send may still be accepted; once it has, sends are refused (503).
        int accepted = 3;
        await Eventually.AssertAsync(async () =>
        {
            var response = await SendRawAsync(http, busy.Id, accepted + 1);
            if (response.StatusCode == HttpStatusCode.Accepted) accepted++;
            return response.StatusCode == HttpStatusCode.ServiceUnavailable;
        }, "sends are refused with 503 while the server drains");

        var batch = await http.PollBatchAsync(busy.Id, 0);
        Assert.Equal(Enumerable.Range(1, accepted).Select(i => $"Received: m{i}"), batch.Messages);
        var closed = await ProblemAssert.IsProblemAsync(await http.PollAsync(busy.Id, batch.Cursor), HttpStatusCode.Gone);
        Assert.Contains("every message was delivered", ProblemAssert.Detail(closed));

        await stopped.WaitAsync(Eventually.DefaultDeadline); // the host stops once every session has drained
    }

    [Fact]
    public async Task Replies_never_acknowledged_before_the_drain_timeout_are_named_in_the_close()
    {
        await using var app = new AppFactory();
        var store = app.Services.GetRequiredService<SessionStore>();
        Assert.True(store.TryOpen(PollingTransports.LongPoll, EchoMode.Prefixed, TimeSpan.FromSeconds(25), out var session));
        session.Enqueue("one");
        session.Enqueue("two");

        await store.DrainAsync(TimeSpan.FromMilliseconds(50), CancellationToken.None);

        Assert.Contains("messages 1..2", session.CloseReason);
        Assert.Equal(0, store.OpenCount);
    }

    private static async Task SendAsync(HttpClient http, string id, int seq, HttpStatusCode expected) =>
        Assert.Equal(expected, (await SendRawAsync(http, id, seq)).StatusCode);

    private static Task<HttpResponseMessage> SendRawAsync(HttpClient http, string id, int seq) =>
        http.PostAsync($"/poll/{id}?seq={seq}", new StringContent($"m{seq}", Encoding.UTF8, "text/plain"));
}
