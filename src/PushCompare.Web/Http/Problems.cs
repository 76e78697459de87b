namespace PushCompare.Web.Http;

/// <summary>Every error the service returns, as RFC 9457 ProblemDetails with a sentence a person can act on.</summary>
public static class Problems
{
    public static IResult Create(int status, string title, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title);

    public static IResult BadEchoMode(string? value) => Create(StatusCodes.Status400BadRequest, "Unknown echo mode",
        $"echo='{value}' is not a mode: use echo=exact for a reply equal to the message, or leave it out for 'Received: <message>'.");

    /// <summary>
    /// 410 for a session that ended: its <paramref name="reason"/>, or (swept already) that it expired or was closed and
    /// <paramref name="openRequest"/> (e.g. <c>POST /poll</c>) opens a new one.
    /// </summary>
    public static IResult SessionGone(string? reason, string openRequest) => Create(StatusCodes.Status410Gone, "Session gone",
        reason ?? $"The session expired or was closed. Open a new session with {openRequest}.");

    public static IResult TooManySessions(int max) => new RetryAfterResult(1, Create(StatusCodes.Status503ServiceUnavailable, "Too many sessions",
        $"The server already holds its limit of {max} sessions: retry after the Retry-After delay, or use WebSocket (/ws)."));

    public static IResult ShuttingDown() => new RetryAfterResult(5, Create(StatusCodes.Status503ServiceUnavailable, "Server shutting down",
        "The server is shutting down and did not accept the message: reconnect after the Retry-After delay and send it again."));

    /// <summary>The shared session store (Redis) is unreachable or timed out: nothing was done, the request can be repeated as it is.</summary>
    public static IResult SessionStoreUnavailable() => new RetryAfterResult(1, Create(StatusCodes.Status503ServiceUnavailable, "Session store unavailable",
        "The session store (Redis) did not answer, so nothing was done with this request: repeat it unchanged after the Retry-After delay (messages already acknowledged with 202 are kept)."));

    /// <summary>This instance is stopping but the session lives on in the shared store: another instance serves the retry.</summary>
    public static IResult InstanceStopping() => new RetryAfterResult(1, Create(StatusCodes.Status503ServiceUnavailable, "Instance shutting down",
        "This server instance is shutting down; the session is kept in the shared store: retry after the Retry-After delay and another instance will answer."));

    /// <summary>Adds <c>Retry-After</c> (seconds) to another result.</summary>
    private sealed class RetryAfterResult(int seconds, IResult inner) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return inner.ExecuteAsync(httpContext);
        }
    }
}
