using Microsoft.Extensions.Options;
using PushCompare.Web.Http;
using PushCompare.Web.Messaging;
using PushCompare.Metering;
using PushCompare.Web.Security;
using PushCompare.Web.Sessions;
using PushCompare.Serving;

namespace PushCompare.Web.Polling;

/// <summary>
/// The HTTP long-polling fallback under <c>/poll</c> (and short polling, a session opened with <c>wait=0</c>). The
/// session, its upstream and its life are shared with SSE and the WebSocket's session mode (<see cref="SessionEndpoints"/>:
/// a session opened by any of them is polled here too); what is long polling's own is the held <c>GET</c> that
/// acknowledges with its cursor. Every status is listed in docs/protocol.md.
/// </summary>
public static class PollingEndpoints
{
    public const string Path = "/poll";

    // A session's polls count as short polling when they answer at once by default, whichever transport opened it.
    private static readonly SessionRoutes Routes = new(Path, session => PollingTransports.For(session.DefaultWait));

    public static IServiceCollection AddPolling(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<LongPollingOptions, LongPollingOptionsValidator>(configuration.GetSection(LongPollingOptions.Section));
        services.AddTransport(PollingTransports.LongPoll, SessionEndpoints.OpenCountOf(PollingTransports.LongPoll));
        services.AddTransport(PollingTransports.ShortPoll, SessionEndpoints.OpenCountOf(PollingTransports.ShortPoll));
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, PollingJson.Default));
        return services;
    }

    public static RouteGroupBuilder MapPolling(this WebApplication app)
    {
        var group = app.MapGroup(Path).RequireOrigin().WithNoStore().ServesSessions(Routes);
        group.MapPost("", Open).WithName("OpenPollSession").LimitConnects();
        group.MapPost("/{id}", (RequestedSession session, string? seq, HttpContext context) => SessionEndpoints.SendAsync(session, seq, null, context))
            .WithName("SendPollMessage");
        group.MapGet("/{id}", Poll).WithName("Poll").WithHttpCompression().WithoutProxyBuffering();
        group.MapDelete("/{id}", SessionEndpoints.CloseAsync).WithName("ClosePollSession");
        return group;
    }

    private static async Task<IResult> Open(string? wait, HttpContext context, IOptions<LongPollingOptions> options, IOptions<MessageSessionOptions> sessions,
        IOptions<MessagingOptions> messaging)
    {
        // wait=W declares the session's hold time once (wait=0: short polling), so its polls need not repeat it.
        var timeout = options.Value.PollTimeout;
        if (!HoldTime.TryParse(wait, timeout, timeout, out var defaultWait, out var badWait)) return badWait;
        var (session, problem) = await SessionEndpoints.OpenAsync(context, PollingTransports.For(defaultWait), defaultWait);
        if (session is null) return problem!;

        var o = sessions.Value;
        return TypedResults.Created($"{Path}/{session.Id}", new SessionCreated(
            session.Id,
            session.StatsKey,
            Echo.QueryValue(session.Mode),
            (int)timeout.TotalMilliseconds,
            (int)defaultWait.TotalMilliseconds,
            (int)o.IdleTimeout.TotalMilliseconds,
            messaging.Value.MaxMessageBytes,
            o.MaxBacklogMessages,
            o.MaxBacklogBytes));
    }

    private static async Task<IResult> Poll(RequestedSession requested, string? cursor, string? wait, IOptions<LongPollingOptions> options, HttpContext context)
    {
        var session = requested.Session;
        if (!QueryNumber.TryParse(cursor, out long after))
        {
            return Problems.Create(StatusCodes.Status400BadRequest, "Invalid cursor",
                $"cursor='{cursor}' is not a sequence number: send cursor=0 on the first poll, then the cursor of the last 200 response.");
        }
        // Without wait the session's default (set by POST /poll?wait=W; the poll timeout for a session opened by another
        // transport) applies; wait=0 answers at once.
        var timeout = options.Value.PollTimeout;
        if (!HoldTime.TryParse(wait, session.DefaultWait < timeout ? session.DefaultWait : timeout, timeout, out var hold, out var badWait)) return badWait;

        var result = await session.PollAsync(after, hold, context.RequestAborted);
        if (result.Status == ReadStatus.Messages) RequestMetering.Of(context).Delivering(result.Messages!, result.FirstQueuedAt!);
        return result.Status switch
        {
            ReadStatus.Messages => TypedResults.Ok(new PollBatch(result.Cursor, result.Messages!)),
            ReadStatus.Empty => TypedResults.NoContent(),
            // This instance stops, the session lives on in the shared store: the retry lands on another instance.
            ReadStatus.Released => Problems.InstanceStopping(),
            // Closed while this poll was in flight by its client's own DELETE: the client knows why, and a normal close
            // shows no failed request. Any other close (shutdown, a full backlog) is a 410 that says why.
            ReadStatus.Closed when result.Detail?.StartsWith(SessionEndpoints.ClosedByClient, StringComparison.Ordinal) == true => TypedResults.NoContent(),
            ReadStatus.Closed or ReadStatus.Drained => Problems.SessionGone(result.Detail, Routes.OpenRequest),
            _ => Problems.Create(StatusCodes.Status400BadRequest, "Invalid cursor", $"cursor={result.Detail}"),
        };
    }
}
