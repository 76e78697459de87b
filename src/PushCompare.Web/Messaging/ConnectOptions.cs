using System.Diagnostics.CodeAnalysis;
using PushCompare.Web.Http;
using PushCompare.Web.Topics;

namespace PushCompare.Web.Messaging;

/// <summary>
/// What a client asks for when it connects, on any transport: <c>?echo=exact</c>, <c>?push=&lt;ms&gt;</c> and
/// <c>?topic=NAME</c> (the broadcast topic it subscribes to; null for none).
/// </summary>
public readonly record struct ConnectOptions(EchoMode Echo, TimeSpan? PushInterval, string? Topic = null)
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

        string? topic = null;
        if (request.Query.TryGetValue("topic", out var topics))
        {
            // One topic per connection: a repeated parameter is refused rather than half honoured.
            if (topics.Count != 1 || !TopicName.IsValid(topics[0]))
            {
                problem = TopicName.Invalid(topics.ToString(), "topic=");
                return false;
            }
            topic = topics[0];
        }
        options = new ConnectOptions(mode, push, topic);
        return true;
    }

    private const int MaxPushMs = 3_600_000;
}
