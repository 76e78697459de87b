using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Options;
using PushCompare.Web.Http;
using PushCompare.Web.Messaging;
using PushCompare.Web.Metering;
using PushCompare.Web.Push;
using PushCompare.Web.Security;

namespace PushCompare.Web.LongPolling;

/// <summary>The HTTP long-polling fallback under <c>/poll</c>; every status here is listed in docs/protocol.md.</summary>
public static class LongPollingEndpoints
{
    public const string Path = "/poll";

    public static IServiceCollection AddLongPolling(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<LongPollingOptions, LongPollingOptionsValidator>(configuration.GetSection(LongPollingOptions.Section));
        services.AddSingleton<SessionIds>();
        services.AddSingleton<PollSessionStore>();
        services.AddHostedService<SessionSweeper>();
        services.AddTransport(PollingTransports.LongPoll, OpenCountOf(PollingTransports.LongPoll));
        services.AddTransport(PollingTransports.ShortPoll, OpenCountOf(PollingTransports.ShortPoll));
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, LongPollingJson.Default));
        return services;
    }

    private static Func<IServiceProvider, Func<int>> OpenCountOf(TransportDescriptor transport) =>
        sp => () => sp.GetRequiredService<PollSessionStore>().OpenCountOf(transport);

    public static RouteGroupBuilder MapLongPolling(this WebApplication app)
    {
        var store = app.Services.GetRequiredService<PollSessionStore>();
        // On shutdown, deliver what was accepted with 202 (or name it in the 410) before the web server stops.
        app.Services.GetRequiredService<ServiceShutdown>().OnStopping(cancel => store.DrainAsync(store.Options.ShutdownDrainTimeout, cancel));
        var group = app.MapGroup(Path).RequireOrigin();
        group.MapPost("", Open).WithName("OpenPollSession").RequireRateLimiting(SecurityExtensions.ConnectPolicy);
        group.MapPost("/{id}", Send).WithName("SendPollMessage");
        group.MapGet("/{id}", Poll).WithName("Poll");
        group.MapDelete("/{id}", Close).WithName("ClosePollSession");
        return group;
    }

    private static IResult Open(string? wait, HttpContext context, PollSessionStore store, IOptions<MessagingOptions> messaging,
        TimeProvider time, ServiceShutdown shutdown)
    {
        if (!ConnectOptions.TryParse(context.Request, messaging.Value, out var connect, out var invalid)) return invalid;
        // wait=W declares the session's hold time once (wait=0: short polling), so its polls need not repeat it.
        var timeout = store.Options.PollTimeout;
        if (!HoldTime.TryParse(wait, timeout, timeout, out var defaultWait, out var badWait)) return badWait;
        var mode = connect.Echo;
        if (!store.TryOpen(mode, defaultWait, out var session))
            return store.IsDraining ? Problems.ShuttingDown() : Problems.TooManySessions(store.Options.MaxSessions);
        // The stats key is server-issued and unique, so the metering never refuses it.
        if (RequestMetering.Of(context).TryOpenSession(session.Transport, session.StatsKey, out var figures)) session.TrackFigures(figures);
        if (connect.PushInterval is { } interval)
        {
            // Runs until the session ends or the server stops; it must not keep this request's context (and its meter)
            // alive, hence no flow of the execution context.
            using (ExecutionContext.SuppressFlow()) _ = PushAsync(session, interval, time, shutdown.Stopping);
        }

        var o = store.Options;
        return TypedResults.Created($"{Path}/{session.Id}", new SessionCreated(
            session.Id,
            session.StatsKey,
            mode == EchoMode.Exact ? Echo.ExactQueryValue : "received",
            (int)o.PollTimeout.TotalMilliseconds,
            (int)defaultWait.TotalMilliseconds,
            (int)o.IdleTimeout.TotalMilliseconds,
            messaging.Value.MaxMessageBytes,
            o.MaxBacklogMessages,
            o.MaxBacklogBytes));
    }

    private static async Task PushAsync(PollSession session, TimeSpan interval, TimeProvider time, CancellationToken stopping)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(session.Ended, stopping);
        await TickStream.RunAsync(interval, time, tick => ValueTask.FromResult(session.Enqueue(tick)), stop.Token);
    }

    private static async Task<IResult> Send(string id, string? seq, HttpRequest request, PollSessionStore store, IOptions<MessagingOptions> messaging)
    {
        if (!TryFind(store, id, request.HttpContext, out var session, out var missing)) return missing;
        long? clientSeq = null;
        if (seq is not null)
        {
            if (!QueryNumber.TryParse(seq, out long parsed) || parsed < 1)
            {
                return Problems.Create(StatusCodes.Status400BadRequest, "Invalid sequence number",
                    $"seq='{seq}' is not a positive integer: number your messages 1, 2, 3… and resend a failed one with the same number.");
            }
            clientSeq = parsed;
        }

        var (text, problem) = await TextBody.ReadAsync(request, messaging.Value.MaxMessageBytes, request.HttpContext.RequestAborted);
        if (problem is not null) return problem;

        return session.Accept(clientSeq, () => Echo.Reply(text!, session.Mode)) switch
        {
            SendStatus.Accepted => Accepted(text!),
            SendStatus.Duplicate => TypedResults.Accepted((string?)null),
            SendStatus.ShuttingDown => Problems.ShuttingDown(),
            SendStatus.Gap => Problems.Create(StatusCodes.Status409Conflict, "Sequence gap",
                $"seq={clientSeq} skips ahead: the next message must carry seq={session.ExpectedClientSeq}. Resend the missing messages in order."),
            _ => Problems.SessionGone(session.CloseReason),
        };
    }

    private static IResult Accepted(string text)
    {
        Metering.MessageMetering.Received(text); // counted once: a retried seq is not a new message
        return TypedResults.Accepted((string?)null);
    }

    private static async Task<IResult> Poll(string id, string? cursor, string? wait, PollSessionStore store, HttpContext context)
    {
        if (!TryFind(store, id, context, out var session, out var missing)) return missing;
        if (!QueryNumber.TryParse(cursor, out long after))
        {
            return Problems.Create(StatusCodes.Status400BadRequest, "Invalid cursor",
                $"cursor='{cursor}' is not a sequence number: send cursor=0 on the first poll, then the cursor of the last 200 response.");
        }
        // Without wait the session's default (set by POST /poll?wait=W) applies; wait=0 answers at once.
        if (!HoldTime.TryParse(wait, session.DefaultWait, store.Options.PollTimeout, out var hold, out var badWait)) return badWait;

        var result = await session.PollAsync(after, hold, context.RequestAborted);
        if (result.Status == PollStatus.Messages) Metering.MessageMetering.Delivering(result.Messages!, result.FirstQueuedAt!);
        return result.Status switch
        {
            PollStatus.Messages => TypedResults.Ok(new PollBatch(result.Cursor, result.Messages!)),
            PollStatus.Empty => TypedResults.NoContent(),
            PollStatus.Closed => Problems.SessionGone(result.Detail),
            _ => Problems.Create(StatusCodes.Status400BadRequest, "Invalid cursor", result.Detail!),
        };
    }

    private static IResult Close(string id, PollSessionStore store, HttpContext context)
    {
        if (!TryFind(store, id, context, out var session, out var missing)) return missing;
        session.Close("The client closed the session (DELETE). Open a new session with POST /poll.");
        return TypedResults.NoContent();
    }

    /// <summary>
    /// Finds an open session and counts the request to it; false with the 404 / 410 problem that explains why there is
    /// none. A request for an id the server never issued counts as "other".
    /// </summary>
    private static bool TryFind(PollSessionStore store, string id, HttpContext context, [NotNullWhen(true)] out PollSession? session,
        [NotNullWhen(false)] out IResult? problem)
    {
        var found = store.Find(id);
        session = null;
        problem = null;
        if (found.Session is { } known)
        {
            RequestMetering.Of(context).Attribute(known.Transport, known.StatsKey);
            if (known.CloseReason is { } reason)
            {
                problem = Problems.SessionGone(reason);
                return false;
            }
            session = known;
            return true;
        }
        if (found.WasIssued)
        {
            // Swept already: the figures (if still tracked) know which transport the session was.
            RequestMetering.Of(context).Attribute(null, store.Ids.StatsKey(id));
            problem = Problems.SessionGone("The session expired or was closed. Open a new session with POST /poll.");
            return false;
        }
        problem = Problems.Create(StatusCodes.Status404NotFound, "Unknown session",
            $"No session has the id '{id}': open one with POST /poll and use the id from its response.");
        return false;
    }
}
