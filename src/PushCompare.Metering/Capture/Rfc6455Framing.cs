namespace PushCompare.Metering;

/// <summary>RFC 6455 §5.2 frame-size arithmetic, used by the docs, the tests and the passive frame scanner.</summary>
public static class Rfc6455Framing
{
    /// <summary>Payloads up to this length fit the 7-bit length field.</summary>
    public const int MaxSmallPayload = 125;

    /// <summary>Payloads up to this length use the 16-bit extended length.</summary>
    public const int MaxMediumPayload = 65_535;

    /// <summary>The first header byte's RSV1 bit: set by permessage-deflate on a compressed message's first frame (RFC 7692 §6).</summary>
    public const byte Rsv1 = 0x40;

    /// <summary>The masking key every client-to-server frame carries (§5.3).</summary>
    public const int MaskKeyLength = 4;

    /// <summary>Bytes of frame header before a payload of <paramref name="payloadLength"/>: 2, +2 (126–65,535) or +8 (larger), +4 when masked.</summary>
    public static int HeaderLength(long payloadLength, bool masked)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(payloadLength);
        int length = 2 + ExtendedLengthBytes(payloadLength);
        return masked ? length + MaskKeyLength : length;
    }

    /// <summary>Bytes of extended payload length that follow the second header byte.</summary>
    public static int ExtendedLengthBytes(long payloadLength) =>
        payloadLength <= MaxSmallPayload ? 0 : payloadLength <= MaxMediumPayload ? 2 : 8;

    /// <summary>Extended length bytes announced by the 7-bit length field (126 → 2, 127 → 8).</summary>
    internal static int ExtendedLengthBytesFor(int lengthField) => lengthField switch
    {
        126 => 2,
        127 => 8,
        _ => 0,
    };
}
