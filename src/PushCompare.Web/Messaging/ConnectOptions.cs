using System.Diagnostics.CodeAnalysis;
using PushCompare.Web.Http;

namespace PushCompare.Web.Messaging;

/// <summary>What a client asks for when it connects, on any transport: <c>?echo=exact</c> and <c>?push=&lt;ms&gt;</c>.</summary>
public readonly record struct ConnectOptions(EchoMode Echo, TimeSpan? PushInterval)
{
    /// <summary>Parses the connect query once for every transport; false with the 400 that explains an invalid value.</summary>
    public static bool TryParse(HttpRequest request, MessagingOptions limits, out ConnectOptions options, [NotNullWhen(false)] out IResult? problem)
    {
        options = default;
        problem = null;
        string? echo = request.Query["echo"];
        if (!Messaging.Echo.TryParseMode(echo, out var mode))
        {
            problem = Problems.BadEchoMode(echo);
            return false;
        }

        TimeSpan? push = null;
        string? pushValue = request.Query["push"];
        if (pushValue is not null)
        {
            int min = (int)limits.MinPushInterval.TotalMilliseconds;
            if (!QueryNumber.TryParse(pushValue, out int ms) || ms < min || ms > MaxPushMs)
            {
                problem = Problems.Create(StatusCodes.Status400BadRequest, "Invalid push interval",
                    $"push='{pushValue}' is not an interval: give milliseconds between {min} and {MaxPushMs}, e.g. push=1000 for one message per second.");
                return false;
            }
            push = TimeSpan.FromMilliseconds(ms);
        }
        options = new ConnectOptions(mode, push);
        return true;
    }

    private const int MaxPushMs = 3_600_000;
}
