namespace PushCompare.BenchTests;

/// <summary>
/// WebSocket byte accounting must not depend on the server's timing: a push that arrives in the same TCP read as the
/// 101 response is a frame, not part of the handshake (it used to be swallowed by the handshake count).
/// </summary>
public sealed class HandshakeAccountingTests
{
    [Fact]
    public async Task A_tick_in_the_same_read_as_the_101_response_is_counted_as_a_frame()
    {
        await using var server = new EagerPushServer().Start();
        var bench = (await BenchRun.StartAsync("push", "-t", "websocket", "--url", server.Url, "-c", "2", "-d", "1", "--warmup", "0",
            "--interval", "50", "--drain", "2")).Passed();
        var run = bench.Single;

        var ws = run.WebSocket!;
        Assert.Equal(2, ws.Connections);
        Assert.Equal(2L * EagerPushServer.ResponseHeadLength, ws.HandshakeBytesDown); // exactly the 101 responses
        Assert.Equal(run.Totals.Received, ws.FramesDown.DataMessages);                  // tick 1 included
        Assert.Equal(2 * ws.FramesDown.DataMessages, ws.FramesDown.DataHeaderBytes);
        Assert.Equal(0, ws.UnaccountedBytes);
        Assert.Equal(0, run.Totals.Lost);
    }
}
