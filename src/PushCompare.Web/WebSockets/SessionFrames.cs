using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Net.WebSockets;
using System.Text;

namespace PushCompare.Web.WebSockets;

/// <summary>A client frame of the WebSocket's session mode, parsed.</summary>
internal readonly record struct ClientFrame(char Type, long Number, string? Text);

/// <summary>
/// The small framing of the WebSocket's session mode (docs/protocol.md, "WebSocket session mode"): text messages whose
/// first character is their type. Down: <c>o{json}</c> (the session, once per attach), <c>m{n} {text}</c> (message n
/// of the session's log), <c>k{seq}</c> (client messages up to seq accepted). Up: <c>s{seq} {text}</c> (a message),
/// <c>a{n}</c> (messages up to n processed). Every byte of it shows in the comparison, so there is nothing else.
/// </summary>
internal static class SessionFrames
{
    public const char Open = 'o', Message = 'm', Accepted = 'k', Send = 's', Ack = 'a';

    /// <summary>The most bytes a frame adds to its text: a type, 19 digits and a space.</summary>
    public const int MaxOverhead = 21;

    /// <summary>Close codes of session mode (RFC 6455 §7.4.2: 4000–4999 are the application's).</summary>
    public const WebSocketCloseStatus Superseded = (WebSocketCloseStatus)4000, Malformed = (WebSocketCloseStatus)4400,
        Gap = (WebSocketCloseStatus)4409, Gone = (WebSocketCloseStatus)4410, TryAgainLater = (WebSocketCloseStatus)1013;

    /// <summary>
    /// Parses <c>s{seq} {text}</c> or <c>a{n}</c> (numbers: ASCII digits, seq from 1); false with the close reason that
    /// says what was wrong. The text of <c>s</c> may not be empty, as a polling message may not.
    /// </summary>
    public static bool TryParse(string frame, out ClientFrame parsed, [NotNullWhen(false)] out string? problem)
    {
        parsed = default;
        problem = null;
        if (frame.Length == 0)
        {
            problem = "empty frame: send s{seq} {text} or a{n}";
            return false;
        }
        char type = frame[0];
        if (type == Ack)
        {
            if (!TryNumber(frame.AsSpan(1), out long n))
            {
                problem = $"malformed ack '{Clip(frame)}': send a{{n}}, n the last message processed";
                return false;
            }
            parsed = new ClientFrame(Ack, n, null);
            return true;
        }
        if (type == Send)
        {
            int space = frame.IndexOf(' ', StringComparison.Ordinal);
            if (space < 0 || !TryNumber(frame.AsSpan(1, space - 1), out long seq) || seq < 1)
            {
                problem = $"malformed send '{Clip(frame)}': send s{{seq}} {{text}}, seq = 1, 2, 3…";
                return false;
            }
            if (space == frame.Length - 1)
            {
                problem = $"s{seq} carries no text: empty messages are not accepted";
                return false;
            }
            parsed = new ClientFrame(Send, seq, frame[(space + 1)..]);
            return true;
        }
        problem = $"unknown frame type '{Clip(frame)}': send s{{seq}} {{text}} or a{{n}}";
        return false;
    }

    /// <summary><c>m{n} {text}</c>, as UTF-8 into a buffer of the pool (the caller returns it); its length in <paramref name="length"/>.</summary>
    public static byte[] FormatMessage(long n, string text, out int length) => Format(Message, n, text, out length);

    /// <summary><c>k{seq}</c>.</summary>
    public static byte[] FormatAccepted(long seq, out int length) => Format(Accepted, seq, null, out length);

    private static byte[] Format(char type, long n, string? text, out int length)
    {
        int size = 1 + 20 + 1 + (text is null ? 0 : Encoding.UTF8.GetMaxByteCount(text.Length));
        byte[] buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(size);
        buffer[0] = (byte)type;
        Utf8Formatter.TryFormat(n, buffer.AsSpan(1), out int digits);
        length = 1 + digits;
        if (text is not null)
        {
            buffer[length++] = (byte)' ';
            length += Encoding.UTF8.GetBytes(text, buffer.AsSpan(length));
        }
        return buffer;
    }

    /// <summary>A close reason fits 123 UTF-8 bytes (RFC 6455 §5.5: a control frame's payload is at most 125): cut at a character, with an ellipsis.</summary>
    public static string FitReason(string reason)
    {
        const int Max = 123;
        if (Encoding.UTF8.GetByteCount(reason) <= Max) return reason;
        int keep = reason.Length;
        while (keep > 0 && Encoding.UTF8.GetByteCount(reason.AsSpan(0, keep)) > Max - 3) keep--;
        if (keep > 0 && char.IsHighSurrogate(reason[keep - 1])) keep--;
        return string.Concat(reason.AsSpan(0, keep), "…");
    }

    private static bool TryNumber(ReadOnlySpan<char> digits, out long n) =>
        long.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out n);

    // Enough of a bad frame to recognise it in the close reason, which is short.
    private static string Clip(string frame) => frame.Length <= 24 ? frame : string.Concat(frame.AsSpan(0, 24), "…");
}
