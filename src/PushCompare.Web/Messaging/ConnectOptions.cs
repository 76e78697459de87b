using System.Globalization;
using PushCompare.Web.Http;

namespace PushCompare.Web.Messaging;

/// <summary>What a client asks for when it connects, on any transport: <c>?echo=exact</c> and <c>?push=&lt;ms&gt;</c>.</summary>
public readonly record struct ConnectOptions(EchoMode Echo, TimeSpan? PushInterval)
{
    /// <summary>Parses the connect query once for every transport; an invalid value yields the 400 that explains it.</summary>
    public static IResult? TryParse(HttpRequest request, MessagingOptions limits, out ConnectOptions options)
    {
        options = default;
        string? echo = request.Query["echo"];
        if (!Messaging.Echo.TryParseMode(echo, out var mode)) return Problems.BadEchoMode(echo);

        TimeSpan? push = null;
        string? pushValue = request.Query["push"];
        if (pushValue is not null)
        {
            int min = (int)limits.MinPushInterval.TotalMilliseconds;
            if (!int.TryParse(pushValue, NumberStyles.None, CultureInfo.InvariantCulture, out int ms) || ms < min || ms > MaxPushMs)
            {
                return Problems.Create(StatusCodes.Status400BadRequest, "Invalid push interval",
                    $"push='{pushValue}' is not an interval: give milliseconds between {min} and {MaxPushMs}, e.g. push=1000 for one message per second.");
            }
            push = TimeSpan.FromMilliseconds(ms);
        }
        options = new ConnectOptions(mode, push);
        return null;
    }

    private const int MaxPushMs = 3_600_000;
}
