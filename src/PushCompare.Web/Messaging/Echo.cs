namespace PushCompare.Web.Messaging;

/// <summary>How the service answers a message: the seed's "Received: M", or M itself for conformance fuzzers and load generators.</summary>
public enum EchoMode
{
    Prefixed,
    Exact,
}

/// <summary>The echo rule, written once for every transport.</summary>
public static class Echo
{
    public const string Prefix = "Received: ";

    /// <summary>UTF-8 bytes of <see cref="Prefix"/>, so byte-level transports never re-encode it.</summary>
    public static ReadOnlySpan<byte> PrefixUtf8 => "Received: "u8;

    /// <summary>The query value that selects <see cref="EchoMode.Exact"/> (<c>?echo=exact</c>).</summary>
    public const string ExactQueryValue = "exact";

    /// <summary>How a session's open answer names its mode: <c>exact</c> or <c>received</c>.</summary>
    public static string QueryValue(EchoMode mode) => mode == EchoMode.Exact ? ExactQueryValue : "received";

    public static string Reply(string text, EchoMode mode) => mode == EchoMode.Exact ? text : Prefix + text;

    /// <summary>Length of the reply to a message of <paramref name="length"/> bytes; binary messages always come back byte-for-byte.</summary>
    public static int ReplyLength(int length, bool isText, EchoMode mode) =>
        isText && mode == EchoMode.Prefixed ? PrefixUtf8.Length + length : length;

    /// <summary>Writes the reply into <paramref name="destination"/>, which must hold <see cref="ReplyLength"/> bytes.</summary>
    public static void WriteReply(ReadOnlySpan<byte> message, bool isText, EchoMode mode, Span<byte> destination)
    {
        if (isText && mode == EchoMode.Prefixed)
        {
            PrefixUtf8.CopyTo(destination);
            destination = destination[PrefixUtf8.Length..];
        }
        message.CopyTo(destination);
    }

    /// <summary>Parses the <c>echo</c> query parameter; null (absent) means the seed's prefixed reply.</summary>
    public static bool TryParseMode(string? value, out EchoMode mode)
    {
        mode = EchoMode.Prefixed;
        if (string.IsNullOrEmpty(value) || value.Equals("received", StringComparison.OrdinalIgnoreCase)) return true;
        if (value.Equals(ExactQueryValue, StringComparison.OrdinalIgnoreCase))
        {
            mode = EchoMode.Exact;
            return true;
        }
        return false;
    }
}
