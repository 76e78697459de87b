using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Options;
using PushCompare.Web.Http;
using PushCompare.Web.Messaging;
using PushCompare.Metering;
using PushCompare.Web.Security;
using PushCompare.Web.Sessions;
using PushCompare.Serving;

namespace PushCompare.Web.ServerSentEvents;

/// <summary>
/// Server-Sent Events under <c>/sse</c>: a session opened with <c>POST /sse</c>, its log read by one
/// <c>text/event-stream</c> (.NET's own <see cref="TypedResults.ServerSentEvents{T}(IAsyncEnumerable{SseItem{T}})"/>,
/// no hand-written framing) where each message's <c>id:</c> is its sequence number, and the upstream, acknowledgement
/// and close shared with long polling. Every status is listed in docs/protocol.md.
/// </summary>
public static partial class ServerSentEventsEndpoints
{
    public const string Path = "/sse";

    public static readonly TransportDescriptor Transport = new("sse", "Server-Sent Events", SessionKeying.ServerIssued);

    /// <summary>Event types besides messages (which use the default type, so <c>onmessage</c> gets only them).</summary>
    public const string HeartbeatEvent = "heartbeat", SupersededEvent = "superseded";

    private const string LastEventIdHeader = "Last-Event-ID";

    private static readonly SessionRoutes Routes = new(Path, _ => Transport);

    public static IServiceCollection AddServerSentEvents(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<ServerSentEventsOptions, ServerSentEventsOptionsValidator>(configuration.GetSection(ServerSentEventsOptions.Section));
        services.AddTransport(Transport, SessionEndpoints.OpenCountOf(Transport));
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, ServerSentEventsJson.Default));
        return services;
    }

    public static RouteGroupBuilder MapServerSentEvents(this WebApplication app)
    {
        var group = app.MapGroup(Path).RequireOrigin().WithNoStore().ServesSessions(Routes);
        group.MapPost("", Open).WithName("OpenStreamSession").LimitConnects();
        group.MapGet("/{id}", Stream).WithName("EventStream").WithMetadata(DrainedSessionNoContent.Instance).WithHttpCompression().WithoutProxyBuffering();
        group.MapPost("/{id}", SessionEndpoints.SendAsync).WithName("SendStreamMessage");
        group.MapPost("/{id}/ack", Acknowledge).WithName("AcknowledgeEvents");
        group.MapDelete("/{id}", SessionEndpoints.CloseAsync).WithName("CloseStreamSession");
        return group;
    }

    private static async Task<IResult> Open(HttpContext context, IOptions<ServerSentEventsOptions> options, IOptions<MessageSessionOptions> sessions,
        IOptions<MessagingOptions> messaging)
    {
        var (session, problem) = await SessionEndpoints.OpenAsync(context, Transport, SessionEndpoints.UntilPollTimeout);
        if (session is null) return problem!;
        var (o, s) = (options.Value, sessions.Value);
        return TypedResults.Created($"{Path}/{session.Id}", new StreamSessionCreated(
            session.Id,
            session.StatsKey,
            Echo.QueryValue(session.Mode),
            (int)o.HeartbeatInterval.TotalMilliseconds,
            (int)o.ReconnectDelay.TotalMilliseconds,
            (int)s.IdleTimeout.TotalMilliseconds,
            messaging.Value.MaxMessageBytes,
            s.MaxBacklogMessages,
            s.MaxBacklogBytes));
    }

    /// <summary>
    /// <c>GET /sse/{id}</c>: the session's one stream. <c>Last-Event-ID</c> (EventSource's reconnect) acknowledges up
    /// to it and the stream resumes after it; without it the stream starts at the oldest unacknowledged message.
    /// </summary>
    private static async Task<IResult> Stream(RequestedSession requested, HttpContext context, IOptions<ServerSentEventsOptions> options, ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger(typeof(ServerSentEventsEndpoints).FullName!);
        var session = requested.Session;

        long? cursor = null; // none: the stream starts at the oldest unacknowledged message
        string? lastEventId = context.Request.Headers[LastEventIdHeader];
        if (lastEventId is not null)
        {
            if (!QueryNumber.TryParse(lastEventId.Trim(), out long given))
            {
                return Problems.Create(StatusCodes.Status400BadRequest, "Invalid Last-Event-ID",
                    $"Last-Event-ID '{lastEventId}' is not an event id of this stream: send the id of the last event you processed, or none to start at the oldest unacknowledged one.");
            }
            cursor = given;
        }
        var attached = await session.AttachAsync(cursor, ReaderKind.Stream);
        if (attached.Reader == 0)
        {
            return attached.Read.Status switch
            {
                ReadStatus.Drained => TypedResults.NoContent(),
                ReadStatus.Closed => Problems.SessionGone(attached.Read.Detail, Routes.OpenRequest),
                ReadStatus.Released => Problems.InstanceStopping(),
                _ => Problems.Create(StatusCodes.Status400BadRequest, "Invalid Last-Event-ID", $"Last-Event-ID {attached.Read.Detail}"),
            };
        }
        return TypedResults.ServerSentEvents(Events(session, attached.Reader, attached.Cursor, options.Value, RequestMetering.Of(context), logger, context.RequestAborted));
    }

    // The stream's items: a heartbeat that opens it (the headers go out at once, with the reconnection delay), then every
    // message after `after` as it arrives, a heartbeat whenever it has been quiet for the interval; it ends when a newer
    // stream takes over, the session closes, or the server drains and the stream has written everything.
    // A store that becomes unreachable ends the stream (its headers are sent, a 503 can no longer be): the reconnect
    // gets the 503 with Retry-After, and resumes from its Last-Event-ID once the store is back.
    private static async IAsyncEnumerable<SseItem<string>> Events(IMessageSession session, long reader, long after, ServerSentEventsOptions options,
        IRequestMetering metering, ILogger logger, [EnumeratorCancellation] CancellationToken aborted)
    {
        var heartbeat = new SseItem<string>("", HeartbeatEvent);
        var delivering = (Messages: new string[1], QueuedAt: new long[1]); // reused: the metering records each before the next
        try
        {
            yield return heartbeat with { ReconnectionInterval = options.ReconnectDelay };
            while (!aborted.IsCancellationRequested)
            {
                LogRead read;
                try
                {
                    read = await session.ReadAsync(after, reader, options.HeartbeatInterval, aborted);
                }
                catch (SessionStoreUnavailableException ex)
                {
                    StreamEndedByStore(logger, ex.InnerException?.Message ?? ex.Message);
                    yield break;
                }
                switch (read.Status)
                {
                    case ReadStatus.Messages:
                        for (int i = 0; i < read.Messages!.Length; i++)
                        {
                            long seq = read.FirstSeq + i;
                            delivering.Messages[0] = read.Messages[i];
                            delivering.QueuedAt[0] = read.FirstQueuedAt![i];
                            // Counted as delivered (or resent) when its first byte is written: latency ends there.
                            metering.Delivering(delivering.Messages, delivering.QueuedAt);
                            yield return new SseItem<string>(read.Messages[i]) { EventId = seq.ToString(System.Globalization.CultureInfo.InvariantCulture) };
                            after = seq;
                        }
                        break;
                    case ReadStatus.Empty:
                        yield return heartbeat;
                        break;
                    case ReadStatus.Superseded:
                        yield return new SseItem<string>("", SupersededEvent);
                        yield break;
                    default: // Closed, Drained or Released: the reconnect learns which (410, 204 once everything was acknowledged, or another instance)
                        yield break;
                }
            }
        }
        finally
        {
            await DetachAsync(session, reader, logger);
        }
    }

    private static async Task DetachAsync(IMessageSession session, long reader, ILogger logger)
    {
        try
        {
            await session.DetachAsync(reader);
        }
        catch (SessionStoreUnavailableException ex)
        {
            // The stream is gone either way; the shared store marks the session idle when its reader's refresh stops.
            StreamEndedByStore(logger, ex.InnerException?.Message ?? ex.Message);
        }
    }

    /// <summary><c>POST /sse/{id}/ack?lastEventId=M</c>: acknowledges events up to M without sending a message.</summary>
    private static async Task<IResult> Acknowledge(RequestedSession requested, string? lastEventId)
    {
        if (lastEventId is null)
        {
            return Problems.Create(StatusCodes.Status400BadRequest, "Invalid acknowledgement",
                "lastEventId is missing: give the id of the last event you processed, e.g. /ack?lastEventId=42.");
        }
        return await SessionEndpoints.AcknowledgeAsync(requested.Session, "lastEventId", lastEventId) ?? TypedResults.NoContent();
    }

    [LoggerMessage(EventId = 320, Level = LogLevel.Warning, Message = "An event stream ended because the session store is unavailable ({Reason}); its client reconnects")]
    private static partial void StreamEndedByStore(ILogger logger, string reason);
}
