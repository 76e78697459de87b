using System.Net.WebSockets;
using System.Text;
using PushCompare.Web.Messaging;
using PushCompare.Metering;
using PushCompare.Web.Push;
using PushCompare.Web.Topics;

namespace PushCompare.Web.WebSockets;

/// <summary>
/// One accepted WebSocket on <c>/ws</c>: it answers each message with the shared echo rule, pushes ticks when asked
/// (<c>?push=</c>), relays the broadcasts of the topic it subscribed to (<c>?topic=</c>), and ends the way RFC 6455
/// asks. Each of those is a type of its own: <see cref="MessageReader"/> (whole messages up to the limit),
/// <see cref="WebSocketSender"/> (one send at a time, each bounded), <see cref="TickStream"/>, <see cref="BroadcastRelay"/>
/// and <see cref="CloseHandshake"/>. Framing, masking, UTF-8 validation (1007) and pings are the framework's
/// (ManagedWebSocket); nothing here touches frames.
/// </summary>
/// <param name="connection">The HTTP/1.1 connection under the socket; null when there is none to read (TestServer, HTTP/2).</param>
/// <param name="resetConnection">Resets the TCP connection: for a peer that no longer reads.</param>
internal sealed class WebSocketSession(IRequestMetering metering, UpgradedConnection? connection, Action resetConnection, ConnectOptions connect,
    int maxMessageBytes, WebSocketEchoOptions options, ITopicBus topics, TimeProvider time, ILogger logger)
{
    // The message is received after this many free bytes so a prefixed reply is built in place, with no copy.
    private static readonly int Headroom = Echo.PrefixUtf8.Length;

    private WebSocketSender _sender = null!; // created by RunAsync once the socket is accepted
    private CancellationToken _ending;

    /// <summary>
    /// Accepts the upgrade and serves the socket until it closes. The receive loop is this one async method on purpose,
    /// from the endpoint down: an idle socket keeps the state of every method awaiting its receive alive, so each level
    /// would cost memory per connection (docs/benchmarks.md).
    /// </summary>
    /// <param name="figures">The socket's figures lease, ended with the socket.</param>
    public async Task RunAsync(HttpContext context, IDisposable figures, OpenSockets open, CancellationToken stopping)
    {
        using var _ = figures;
        using var socket = await context.WebSockets.AcceptWebSocketAsync(options.AcceptContext());
        using var counted = open.Enter();
        Log.Opened(logger, connect.Echo);
        using var ending = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        _ending = ending.Token;
        using var sender = _sender = new WebSocketSender(socket, options.SendTimeout, time, resetConnection, logger);
        var closing = new CloseHandshake(socket, sender, connection, options.CloseTimeout, time, ending, logger);
        var onStopping = stopping.Register(static s => ((CloseHandshake)s!).StartGoingAway(), closing);
        Task? push = connect.PushInterval is { } interval ? TickStream.RunAsync(interval, time, SendTickAsync, ending.Token) : null;
        var (relay, subscription) = connect.Topic is { } topic ? RelayBroadcasts(topic, ending.Token) : default;
        var reader = new MessageReader(socket, maxMessageBytes, Headroom);
        ReceivedMessage message = default;
        try
        {
            while (true)
            {
                // Wait for the next message with a zero-byte receive, holding no buffer: an idle connection costs no 4 KiB.
                message = await reader.ReadAsync(await socket.ReceiveAsync(Memory<byte>.Empty, ending.Token), ending.Token);
                if (message.IsOverLimit)
                {
                    Log.MessageTooBig(logger, maxMessageBytes);
                    await closing.CloseAndWaitForPeerAsync(WebSocketCloseStatus.MessageTooBig,
                        $"Message exceeds the {maxMessageBytes}-byte limit; split it or raise Messaging:MaxMessageBytes.");
                    return;
                }
                if (message.Type == WebSocketMessageType.Close)
                {
                    await closing.AnswerPeerAsync();
                    return;
                }

                long receivedAt = metering.MessageReceived(message.Count);
                bool isText = message.Type == WebSocketMessageType.Text;
                int length = Echo.ReplyLength(message.Count, isText, connect.Echo);
                int start = Headroom + message.Count - length;
                byte[] buffer = message.Buffer!;
                Echo.WriteReply(buffer.AsSpan(Headroom, message.Count), isText, connect.Echo, buffer.AsSpan(start, length));
                if (await sender.SendAsync(buffer.AsMemory(start, length), message.Type, ending.Token))
                    metering.MessageDelivered(length, receivedAt);
                message.Return();
                message = default;
            }
        }
        catch (WebSocketException ex)
        {
            // Peer vanished, sent invalid UTF-8 (the framework closes with 1007) or broke the protocol (1002).
            Log.ConnectionFailed(logger, ex.WebSocketErrorCode, ex.Message);
            if (ex.WebSocketErrorCode != WebSocketError.ConnectionClosedPrematurely) await closing.EndAfterProtocolErrorAsync();
        }
        catch (OperationCanceledException)
        {
            // The request was aborted (client gone, a send timed out), the server ended the connection, or the framework
            // aborted its socket; nothing left to answer. (An exception escaping after the upgrade would reset the connection.)
        }
        finally
        {
            message.Return();
            // Stop everything that could still touch the socket before it is disposed: no new shutdown close can start once
            // the registration is gone, no broadcast arrives once unsubscribed, and the cancel stops the push timer, the
            // relay and a shutdown close still waiting for the peer.
            subscription?.Dispose();
            await onStopping.DisposeAsync();
            await ending.CancelAsync();
            if (push is not null) await push;
            if (relay is not null) await relay;
            await closing.GoingAway;
            Log.Closed(logger, socket.CloseStatus);
        }
    }

    private (Task? Relay, IDisposable? Subscription) RelayBroadcasts(string topic, CancellationToken ending)
    {
        var relay = new BroadcastRelay(options.MaxQueuedBroadcasts, resetConnection, logger);
        return (relay.RunAsync(SendBroadcastAsync, ending), topics.SubscribeLive(topic, relay));
    }

    private ValueTask<bool> SendTickAsync(string tick) => SendServerMessageAsync(Encoding.UTF8.GetBytes(tick), MessageMetering.Now());

    private ValueTask<bool> SendBroadcastAsync(Broadcast message) => SendServerMessageAsync(message.Utf8, message.PublishedAt);

    /// <summary>A message the server creates (a tick, a broadcast), created at <paramref name="createdAt"/>; false once the socket cannot send.</summary>
    private async ValueTask<bool> SendServerMessageAsync(byte[] bytes, long createdAt)
    {
        try
        {
            if (!await _sender.SendAsync(bytes, WebSocketMessageType.Text, _ending)) return false;
            metering.MessageDelivered(bytes.Length, createdAt);
            return true;
        }
        catch (WebSocketException)
        {
            return false; // the receive loop reports the failure
        }
    }
}
