using System.Diagnostics;
using System.Text;

namespace PushCompare.Metering;

/// <summary>One-line call sites for the transports to count messages on the request's <see cref="IRequestMetering"/>.</summary>
internal static class MessageMetering
{
    /// <summary>A text message arrived and was accepted (counted as its UTF-8 bytes).</summary>
    public static long Received(this IRequestMetering metering, string text) => metering.MessageReceived(Encoding.UTF8.GetByteCount(text));

    /// <summary>The timestamp to pass as <c>createdAt</c> for a message the server creates itself (e.g. a push tick).</summary>
    public static long Now() => Stopwatch.GetTimestamp();
}
