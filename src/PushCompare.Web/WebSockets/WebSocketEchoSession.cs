using System.Buffers;
using System.Net.WebSockets;
using PushCompare.Web.Messaging;

namespace PushCompare.Web.WebSockets;

/// <summary>
/// One accepted WebSocket: reassembles each message (up to the size limit), answers it with the shared echo rule
/// and completes the close handshake with the peer's own code. Framing, masking, UTF-8 validation and pings are the
/// framework's (ManagedWebSocket); nothing here touches frames.
/// </summary>
internal sealed class WebSocketEchoSession(WebSocket socket, EchoMode mode, int maxMessageBytes, TimeSpan closeTimeout, ILogger logger)
{
    // The message is received after this many free bytes so a prefixed reply is built in place, with no copy.
    private static readonly int Headroom = Echo.PrefixUtf8.Length;

    public async Task RunAsync(CancellationToken aborted)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(Headroom + Math.Min(4096, maxMessageBytes + 1));
        try
        {
            while (true)
            {
                int count = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    if (Headroom + count == buffer.Length) buffer = Grow(buffer, count);
                    result = await socket.ReceiveAsync(buffer.AsMemory(Headroom + count), aborted);
                    count += result.Count;
                    if (count > maxMessageBytes)
                    {
                        Log.MessageTooBig(logger, maxMessageBytes);
                        await CloseAsync(WebSocketCloseStatus.MessageTooBig,
                            $"Message exceeds the {maxMessageBytes}-byte limit; split it or raise Messaging:MaxMessageBytes.");
                        return;
                    }
                }
                while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    // Answer with the peer's own code (or none, if it sent none): RFC 6455 §5.5.1.
                    await socket.CloseOutputAsync(socket.CloseStatus ?? WebSocketCloseStatus.Empty, socket.CloseStatusDescription, aborted);
                    return;
                }

                long receivedAt = Metering.MessageMetering.Received(count);
                bool isText = result.MessageType == WebSocketMessageType.Text;
                int length = Echo.ReplyLength(count, isText, mode);
                int start = Headroom + count - length;
                Echo.WriteReply(buffer.AsSpan(Headroom, count), isText, mode, buffer.AsSpan(start, length));
                await socket.SendAsync(buffer.AsMemory(start, length), result.MessageType, endOfMessage: true, aborted);
                Metering.MessageMetering.Delivered(length, receivedAt);
            }
        }
        catch (WebSocketException ex)
        {
            // Peer vanished, sent invalid UTF-8 (the framework closes with 1007) or broke the protocol (1002).
            Log.ConnectionFailed(logger, ex.WebSocketErrorCode, ex.Message);
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            // The request was aborted (client gone or server stopping); nothing left to answer.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private byte[] Grow(byte[] buffer, int count)
    {
        // Capacity never exceeds limit + 1, so the byte past the limit is what reveals an oversize message.
        int capacity = Headroom + Math.Min(maxMessageBytes + 1, Math.Max(count * 2, 4096));
        byte[] larger = ArrayPool<byte>.Shared.Rent(capacity);
        buffer.AsSpan(Headroom, count).CopyTo(larger.AsSpan(Headroom));
        ArrayPool<byte>.Shared.Return(buffer);
        return larger;
    }

    private async Task CloseAsync(WebSocketCloseStatus status, string reason)
    {
        using var timeout = new CancellationTokenSource(closeTimeout);
        try
        {
            await socket.CloseAsync(status, reason, timeout.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
        {
            socket.Abort(); // The peer did not finish the close handshake in time.
        }
    }
}
