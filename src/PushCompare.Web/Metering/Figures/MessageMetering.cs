using System.Diagnostics;
using System.Text;

namespace PushCompare.Web.Metering;

/// <summary>
/// One-line call sites for the transports to count messages. They find the request being served through an
/// AsyncLocal the metering middleware sets, so they cost one read and do nothing when metering is off or the code
/// runs outside a metered request (unit tests, TestServer). Call them only from the request's own flow.
/// </summary>
internal static class MessageMetering
{
    private static readonly AsyncLocal<RequestMeter?> CurrentRequest = new();

    internal static RequestMeter? Current
    {
        get => CurrentRequest.Value;
        set => CurrentRequest.Value = value;
    }

    /// <summary>A client message of <paramref name="payloadBytes"/> arrived and its reply is created now; returns that moment for <see cref="Delivered"/>.</summary>
    public static long Received(int payloadBytes) => Current?.MessageIn(payloadBytes) ?? 0;

    /// <summary>A text message arrived and was accepted (counted as its UTF-8 bytes).</summary>
    public static long Received(string text) => Current is { } request ? request.MessageIn(Encoding.UTF8.GetByteCount(text)) : 0;

    /// <summary>A message was handed to the connection (e.g. SendAsync completed); <paramref name="createdAt"/> is a Stopwatch timestamp.</summary>
    public static void Delivered(int payloadBytes, long createdAt) => Current?.MessageOut(payloadBytes, createdAt);

    /// <summary>A response carries this batch of messages; each counts as delivered (or resent) when the response is written.</summary>
    public static void Delivering(string[] messages, long[] firstQueuedAt) => Current?.Delivering(messages, firstQueuedAt);

    /// <summary>The timestamp to pass as <c>createdAt</c> for a message the server creates itself (e.g. a push tick).</summary>
    public static long Now() => Stopwatch.GetTimestamp();
}
