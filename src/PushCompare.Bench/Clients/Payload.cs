using System.Globalization;

namespace PushCompare.Bench.Clients;

/// <summary>
/// Echo messages: 8 lowercase hex digits of the client's sequence number, then 'x' up to the requested size, so a
/// reply proves which message it answers (exactly-once checks) without any allocation per message.
/// </summary>
internal static class Payload
{
    public const int MinSize = 8;
    private const byte Filler = (byte)'x';

    public static byte[] Create(int size)
    {
        var buffer = new byte[size];
        buffer.AsSpan().Fill(Filler);
        return buffer;
    }

    public static void WriteSequence(Span<byte> message, long sequence) =>
        ((uint)sequence).TryFormat(message[..MinSize], out _, "x8", CultureInfo.InvariantCulture);

    /// <summary>Reads the sequence number of a reply; false when the reply is not a message this bench sent at this size.</summary>
    public static bool TryRead(ReadOnlySpan<byte> reply, int size, out long sequence)
    {
        sequence = 0;
        if (reply.Length != size || reply[MinSize..].ContainsAnyExcept(Filler)) return false;
        if (!uint.TryParse(reply[..MinSize], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out uint value)) return false;
        sequence = value;
        return true;
    }
}
