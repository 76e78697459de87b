using System.Buffers;
using System.Net.WebSockets;

namespace PushCompare.Web.WebSockets;

/// <summary>
/// How one WebSocket ends (RFC 6455 §7.1.1; docs/protocol.md, "How the server ends the TCP connection"): the peer's
/// close is answered with its own code; a close the server chooses (1009, and 1001 at shutdown) waits for the peer's
/// answer, at most <c>WebSockets:CloseTimeout</c>; after a protocol error TCP ends at once. The session ends the TCP
/// connection by returning, which Kestrel turns into a FIN.
/// </summary>
/// <param name="connection">The HTTP/1.1 connection under the socket; null when there is none (TestServer, HTTP/2).</param>
/// <param name="ending">The session's own end: cancelled here when a peer never answers the shutdown close.</param>
internal sealed class CloseHandshake(WebSocket socket, WebSocketSender sender, UpgradedConnection? connection, TimeSpan closeTimeout,
    TimeProvider time, CancellationTokenSource ending, ILogger logger)
{
    private const int SinkBytes = 4096;

    private Task? _goingAway;

    /// <summary>The shutdown close, once started; awaited before the socket is disposed.</summary>
    public Task GoingAway => _goingAway ?? Task.CompletedTask;

    /// <summary>
    /// The peer's close frame arrived: answer with its own code (.NET reports a code-less close as 1000), §5.5.1. If the
    /// server closed first (shutdown), this is the peer's answer and the handshake is already complete.
    /// </summary>
    public async Task AnswerPeerAsync()
    {
        if (socket.State == WebSocketState.CloseReceived)
            await sender.CloseOutputAsync(socket.CloseStatus ?? WebSocketCloseStatus.Empty, socket.CloseStatusDescription, ending.Token);
    }

    /// <summary>
    /// Closes with <paramref name="status"/> and drops what the peer sends until its close frame, at most the close
    /// timeout. The framework's WebSocket is still healthy, so it parses (and skips) every frame up to that close frame;
    /// a frame it cannot parse ends the wait at once.
    /// </summary>
    public async Task CloseAndWaitForPeerAsync(WebSocketCloseStatus status, string reason)
    {
        using var timeout = new CancellationTokenSource(closeTimeout, time);
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(ending.Token, timeout.Token);
        var outcome = CloseOutcome.PeerClosed;
        try
        {
            if (!await sender.CloseOutputAsync(status, reason, bound.Token)) return;
            connection?.TakeOverEnd();
            byte[] sink = ArrayPool<byte>.Shared.Rent(SinkBytes);
            try
            {
                while (socket.State == WebSocketState.CloseSent)
                    await socket.ReceiveAsync(sink.AsMemory(), bound.Token);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(sink);
            }
        }
        catch (OperationCanceledException)
        {
            outcome = CloseOutcome.TimedOut;
        }
        catch (WebSocketException ex)
        {
            // The peer hung up, or broke the protocol after our close (a frame the framework cannot skip): nothing to wait for.
            outcome = ex.WebSocketErrorCode == WebSocketError.ConnectionClosedPrematurely ? CloseOutcome.PeerHungUp : CloseOutcome.ProtocolError;
        }
        Log.EndedAfterClose(logger, outcome);
    }

    /// <summary>
    /// Server shutdown: close with 1001. The receive loop reads (and drops) what the peer still sends until its close
    /// frame and then returns, which ends TCP; a peer that has not answered within the close timeout is ended the same
    /// way, by cancelling the session. Called from the stopping token's callback, so it only starts the close.
    /// </summary>
    public void StartGoingAway() => _goingAway = GoAwayAsync();

    private async Task GoAwayAsync()
    {
        try
        {
            if (!await sender.CloseOutputAsync(WebSocketCloseStatus.EndpointUnavailable, "Server shutting down; reconnect in a moment.", ending.Token)) return;
            connection?.TakeOverEnd();
            await Task.Delay(closeTimeout, time, ending.Token);
            Log.EndedAfterClose(logger, CloseOutcome.TimedOut);
            await ending.CancelAsync();
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
        {
            // The session ended (the peer answered, or went away) or the connection failed; the receive loop reports it.
        }
    }

    /// <summary>
    /// After a protocol or UTF-8 error the framework has sent its close frame (1002/1007) and given up on its WebSocket;
    /// an invalid close frame from the peer ends the same way. The TCP connection is ended at once, by returning: the
    /// stream is no longer at a frame boundary, so a close frame from the peer could not be found reliably, and a peer
    /// whose own close frame was the invalid one sends nothing more to wait for.
    /// </summary>
    public async Task EndAfterProtocolErrorAsync()
    {
        if (connection?.Stream is not { } stream)
        {
            await LingerAsync(); // no TCP connection of the socket's own to end: give the peer time to read the close frame
            return;
        }
        // Returning ends TCP with a FIN (Kestrel has read ahead what the peer sent); nothing may follow the close frame.
        connection.TakeOverEnd();
        stream.ShutWrites();
        Log.EndedAfterClose(logger, CloseOutcome.ProtocolError);
    }

    /// <summary>Without the upgraded stream (TestServer, HTTP/2): wait until the peer hangs up or the close timeout passes.</summary>
    private async Task LingerAsync()
    {
        try
        {
            await Task.Delay(closeTimeout, time, ending.Token);
        }
        catch (OperationCanceledException)
        {
            // The peer closed the connection: nothing left to protect.
        }
    }
}
