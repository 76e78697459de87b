using System.Buffers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using PushCompare.Metering;
using PushCompare.Web.Messaging;
using PushCompare.Web.Sessions;

namespace PushCompare.Web.WebSockets;

/// <summary>
/// One WebSocket in session mode, attached as its session's reader: it sends <c>o</c>, then the log's messages as they
/// come (<c>m{n}</c>), and takes the client's sends (<c>s{seq}</c>, answered <c>k{seq}</c>) and acknowledgements
/// (<c>a{n}</c>) — the same session operations as a poll, a stream and their <c>POST</c>s, so the guarantees are the
/// session's whatever carries it. A bad frame closes with a code and a reason and changes nothing; so does a newer
/// reader (4000), the session's end (4410) and the server's (1001). Framing, masking, UTF-8 validation and pings are
/// the framework's.
/// </summary>
internal sealed class SessionSocket(IMessageSession session, ISessionStore store, Attachment attached, SocketSessionOpened opened, IRequestMetering metering,
    WebSocketEchoOptions options, int maxMessageBytes, UpgradedConnection? connection, Action reset, TimeProvider time, ILogger logger)
{
    private readonly CancellationTokenSource _stopReading = new(); // the log is no longer read: the socket is closing
    private readonly (string[] Messages, long[] QueuedAt) _delivering = (new string[1], new long[1]); // reused: recorded before the next
    private WebSocket _socket = null!;
    private CancellationTokenSource _ending = null!; // the connection ends: the request aborted, or the peer never answered our close
    private WebSocketSender _sender = null!; // messages, acceptances and the close take turns, each bounded by the send timeout
    private ITimer? _closeTimer;
    private int _closing;  // 1 once a close frame was sent or received: nothing but the close handshake follows
    private long _acked;   // this socket's client acknowledged up to here (its attach's cursor at first)

    public async Task RunAsync(HttpContext context)
    {
        try
        {
            using var socket = await context.WebSockets.AcceptWebSocketAsync(options.AcceptContext());
            using var ending = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
            using var sender = new WebSocketSender(socket, options.SendTimeout, time, reset, logger);
            (_socket, _ending, _sender, _acked) = (socket, ending, sender, attached.Cursor);
            SessionSocketLog.Attached(logger, attached.Cursor, attached.ExpectedSeq);
            Task reading = Task.CompletedTask;
            try
            {
                await SendAsync(Encoding.UTF8.GetBytes(SessionFrames.Open + JsonSerializer.Serialize(opened, SessionModeJson.Default.SocketSessionOpened)));
                reading = ReadLogAsync();
                await ReceiveAsync();
            }
            catch (WebSocketException ex)
            {
                Log.ConnectionFailed(logger, ex.WebSocketErrorCode, ex.Message); // the peer vanished or broke the protocol
            }
            catch (OperationCanceledException)
            {
                // The request was aborted, a send timed out, or the peer never answered our close frame.
            }
            finally
            {
                await _stopReading.CancelAsync();
                _closeTimer?.Dispose();
                await ending.CancelAsync();
                await reading;
                Log.Closed(logger, socket.CloseStatus);
            }
        }
        finally
        {
            await DetachAsync();
        }
    }

    // The session's log, sent as it grows, until the socket closes or the session says why it cannot be read any more.
    private async Task ReadLogAsync()
    {
        long after = attached.Cursor;
        var stop = _stopReading.Token;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var read = await session.ReadAsync(after, attached.Reader, options.KeepAliveInterval, stop);
                if (stop.IsCancellationRequested) return; // closing: what was read is sent again to the next reader
                switch (read.Status)
                {
                    case ReadStatus.Messages:
                        for (int i = 0; i < read.Messages!.Length; i++)
                        {
                            if (!await SendMessageAsync(read.FirstSeq + i, read.Messages[i], read.FirstQueuedAt![i])) return;
                            after = read.FirstSeq + i;
                        }
                        break;
                    case ReadStatus.Empty:
                        break;
                    case ReadStatus.Superseded:
                        await CloseAsync(SessionFrames.Superseded, "superseded by a newer reader");
                        return;
                    case ReadStatus.Closed:
                        await CloseAsync(SessionFrames.Gone, read.Detail ?? GoneReason);
                        return;
                    case ReadStatus.Released:
                        await CloseAsync(WebSocketCloseStatus.EndpointUnavailable, "This instance is shutting down: reconnect with your cursor, another instance will answer.");
                        return;
                    default: // Drained: everything was sent; the client's reconnect acknowledges it with its cursor, and the session ends then
                        await CloseAsync(WebSocketCloseStatus.EndpointUnavailable, "Server shutting down: reconnect with your cursor in a moment.");
                        return;
                }
            }
        }
        catch (SessionStoreUnavailableException)
        {
            await CloseAsync(SessionFrames.TryAgainLater, "The session store is unavailable: reconnect with your cursor in a moment; nothing is lost.");
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            // The connection failed or ended: the receive loop reports it.
        }
    }

    private async Task ReceiveAsync()
    {
        int limit = maxMessageBytes + SessionFrames.MaxOverhead;
        while (true)
        {
            // Wait for the next message holding no buffer: an idle socket costs no 64 KiB.
            var result = await _socket.ReceiveAsync(Memory<byte>.Empty, _ending.Token);
            byte[]? buffer = null;
            int count = 0;
            try
            {
                if (result.MessageType != WebSocketMessageType.Close && !result.EndOfMessage)
                {
                    buffer = ArrayPool<byte>.Shared.Rent(limit + 1);
                    do
                    {
                        // Past the limit the rest of the message is read over its start and dropped.
                        if (count > limit) count = 0;
                        result = await _socket.ReceiveAsync(buffer.AsMemory(count, limit + 1 - count), _ending.Token);
                        count += result.Count;
                        if (count > limit && Volatile.Read(ref _closing) == 0)
                        {
                            await CloseAsync(WebSocketCloseStatus.MessageTooBig,
                                $"Message exceeds the {maxMessageBytes}-byte limit; split it or raise Messaging:MaxMessageBytes.");
                        }
                    }
                    while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);
                }
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    // The peer closed first: answer with its own code (RFC 6455 §5.5.1); or it answered ours, and that is the end.
                    if (Interlocked.Exchange(ref _closing, 1) == 0)
                    {
                        await _stopReading.CancelAsync();
                        await _sender.CloseOutputAsync(_socket.CloseStatus ?? WebSocketCloseStatus.Empty, _socket.CloseStatusDescription, _ending.Token);
                    }
                    return;
                }
                if (Volatile.Read(ref _closing) == 1) continue; // after our close frame: dropped until the peer's
                if (result.MessageType == WebSocketMessageType.Binary)
                {
                    await CloseAsync(WebSocketCloseStatus.InvalidMessageType, "session mode carries text: send s{seq} {text} or a{n} as text messages");
                    continue;
                }
                await HandleAsync(buffer is null ? "" : Encoding.UTF8.GetString(buffer, 0, count));
            }
            finally
            {
                if (buffer is not null) ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private async Task HandleAsync(string text)
    {
        if (!SessionFrames.TryParse(text, out var frame, out string? problem))
        {
            await CloseAsync(SessionFrames.Malformed, problem);
            return;
        }
        try
        {
            if (frame.Type == SessionFrames.Ack) await AcknowledgeAsync(frame.Number);
            else await AcceptAsync(frame.Number, frame.Text!);
        }
        catch (SessionStoreUnavailableException)
        {
            await CloseAsync(SessionFrames.TryAgainLater, "The session store is unavailable: nothing was done with the last frame; reconnect and send it again.");
        }
    }

    private async Task AcknowledgeAsync(long upTo)
    {
        if (upTo < _acked)
        {
            await CloseAsync(SessionFrames.Malformed, $"a{upTo} acknowledges {upTo} but {_acked} were acknowledged already: acknowledge the last message processed");
            return;
        }
        var (ok, problem) = await session.AcknowledgeAsync(upTo);
        if (!ok)
        {
            await CloseAsync(SessionFrames.Malformed, $"a{upTo}: {problem}");
            return;
        }
        _acked = upTo;
    }

    private async Task AcceptAsync(long seq, string text)
    {
        int bytes = Encoding.UTF8.GetByteCount(text);
        if (bytes > maxMessageBytes)
        {
            await CloseAsync(WebSocketCloseStatus.MessageTooBig, $"s{seq} exceeds the {maxMessageBytes}-byte limit; split it or raise Messaging:MaxMessageBytes.");
            return;
        }
        var sent = await session.AcceptAsync(seq, Echo.Reply(text, session.Mode));
        switch (sent.Status)
        {
            case SendStatus.Accepted:
                metering.MessageReceived(bytes); // counted once: a resent seq is not a new message
                await SendAcceptedAsync(seq);
                break;
            case SendStatus.Duplicate:
                await SendAcceptedAsync(seq);
                break;
            case SendStatus.Gap:
                await CloseAsync(SessionFrames.Gap, $"s{seq} skips ahead: the next message must carry seq={sent.ExpectedSeq}; resend the missing ones in order");
                break;
            case SendStatus.ShuttingDown:
                await CloseAsync(WebSocketCloseStatus.EndpointUnavailable, $"Server shutting down: s{seq} was not accepted; reconnect and send it again.");
                break;
            default:
                await CloseAsync(SessionFrames.Gone, session.CloseReason ?? (await store.FindAsync(session.Id)).Session?.CloseReason ?? GoneReason);
                break;
        }
    }

    private const string GoneReason = "The session expired or was closed: open a new one with session=new.";

    private async ValueTask<bool> SendMessageAsync(long n, string text, long firstQueuedAt)
    {
        if (Volatile.Read(ref _closing) == 1) return false;
        byte[] frame = SessionFrames.FormatMessage(n, text, out int length);
        try
        {
            // Counted as delivered (or resent) when the next byte is written, as an event of a stream is.
            (_delivering.Messages[0], _delivering.QueuedAt[0]) = (text, firstQueuedAt);
            metering.Delivering(_delivering.Messages, _delivering.QueuedAt);
            return await _sender.SendAsync(frame.AsMemory(0, length), WebSocketMessageType.Text, _ending.Token);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(frame);
        }
    }

    private async Task SendAcceptedAsync(long seq)
    {
        byte[] frame = SessionFrames.FormatAccepted(seq, out int length);
        try
        {
            await SendAsync(frame.AsMemory(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(frame);
        }
    }

    // Nothing but the close handshake follows a close frame, sent or received.
    private async ValueTask SendAsync(ReadOnlyMemory<byte> frame)
    {
        if (Volatile.Read(ref _closing) == 0) await _sender.SendAsync(frame, WebSocketMessageType.Text, _ending.Token);
    }

    /// <summary>
    /// Closes with <paramref name="status"/> and <paramref name="reason"/> (once: a later close changes nothing), stops
    /// reading the log, and gives the peer the close timeout to answer; the receive loop drops what arrives meanwhile.
    /// </summary>
    private async Task CloseAsync(WebSocketCloseStatus status, string reason)
    {
        if (Interlocked.Exchange(ref _closing, 1) == 1) return;
        await _stopReading.CancelAsync();
        SessionSocketLog.Closing(logger, (int)status, reason);
        if (!await _sender.CloseOutputAsync(status, SessionFrames.FitReason(reason), _ending.Token)) return;
        connection?.TakeOverEnd();
        _closeTimer = time.CreateTimer(static s => CancelQuietly((CancellationTokenSource)s!), _ending, options.CloseTimeout, Timeout.InfiniteTimeSpan);
    }

    private static void CancelQuietly(CancellationTokenSource ending)
    {
        try
        {
            ending.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The socket ended as the timer fired.
        }
    }

    private async Task DetachAsync()
    {
        try
        {
            await session.DetachAsync(attached.Reader);
        }
        catch (SessionStoreUnavailableException)
        {
            // The socket is gone either way; the shared store marks the session idle when its reader's refresh stops.
        }
    }
}

internal static partial class SessionSocketLog
{
    [LoggerMessage(EventId = 110, Level = LogLevel.Information, Message = "WebSocket attached to a session (acknowledged {Acked}, next client seq {ExpectedSeq})")]
    public static partial void Attached(ILogger logger, long acked, long expectedSeq);

    [LoggerMessage(EventId = 111, Level = LogLevel.Information, Message = "Session WebSocket closing with {Code}: {Reason}")]
    public static partial void Closing(ILogger logger, int code, string reason);
}
