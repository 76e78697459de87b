using System.Buffers;
using System.Net.WebSockets;

namespace PushCompare.Web.WebSockets;

/// <summary>
/// Reads one whole message from a WebSocket (fragments reassembled) into a pooled buffer, after <c>headroom</c> free
/// bytes so a reply with a prefix can be built in place, and stops one byte past the message size limit. It starts
/// once a zero-byte receive has announced the message, so that between messages a connection holds no buffer.
/// Framing, masking and UTF-8 validation are the framework's.
/// </summary>
internal readonly struct MessageReader(WebSocket socket, int maxMessageBytes, int headroom)
{
    private const int InitialBuffer = 4096;

    /// <summary>Reads the rest of the message that <paramref name="announced"/> (a zero-byte receive's result) began.</summary>
    public async ValueTask<ReceivedMessage> ReadAsync(ValueWebSocketReceiveResult announced, CancellationToken cancel)
    {
        if (announced.MessageType == WebSocketMessageType.Close) return new ReceivedMessage(WebSocketMessageType.Close, null, 0);
        // An empty message: room for a prefix only.
        if (announced.EndOfMessage) return new ReceivedMessage(announced.MessageType, ArrayPool<byte>.Shared.Rent(headroom), 0);

        byte[] buffer = ArrayPool<byte>.Shared.Rent(Math.Min(InitialBuffer, headroom + maxMessageBytes + 1));
        int count = 0;
        try
        {
            ValueWebSocketReceiveResult result;
            do
            {
                if (headroom + count == buffer.Length) buffer = Grow(buffer, count);
                result = await socket.ReceiveAsync(buffer.AsMemory(headroom + count), cancel);
                count += result.Count;
                if (count > maxMessageBytes)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    return new ReceivedMessage(result.MessageType, null, count, IsOverLimit: true);
                }
            }
            while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);
            return new ReceivedMessage(result.MessageType, buffer, count);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    private byte[] Grow(byte[] buffer, int count)
    {
        // Capacity never exceeds limit + 1, so the byte past the limit is what reveals an oversize message.
        int capacity = headroom + Math.Min(maxMessageBytes + 1, Math.Max(count * 2, InitialBuffer));
        byte[] larger = ArrayPool<byte>.Shared.Rent(capacity);
        buffer.AsSpan(headroom, count).CopyTo(larger.AsSpan(headroom));
        ArrayPool<byte>.Shared.Return(buffer);
        return larger;
    }
}

/// <summary>
/// One message read whole: <see cref="Count"/> bytes after the reader's headroom in <see cref="Buffer"/>, a pooled
/// array (null for a close, or a message over the limit) that <see cref="Return"/> gives back, once.
/// </summary>
/// <param name="IsOverLimit">The message is larger than the limit: nothing of it is kept.</param>
internal readonly record struct ReceivedMessage(WebSocketMessageType Type, byte[]? Buffer, int Count, bool IsOverLimit = false)
{

    public void Return()
    {
        if (Buffer is not null) ArrayPool<byte>.Shared.Return(Buffer);
    }
}
