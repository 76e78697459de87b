using System.Globalization;
using Microsoft.Extensions.Options;
using PushCompare.Web.Http;
using PushCompare.Web.Messaging;
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
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, LongPollingJson.Default));
        return services;
    }

    public static RouteGroupBuilder MapLongPolling(this WebApplication app)
    {
        app.Use(NoStore);
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

    // Polling responses are live data: no browser or proxy may cache or replay them. A middleware, not an endpoint
    // filter, so routing's own answers (405) under /poll carry it too.
    private static Task NoStore(HttpContext context, RequestDelegate next)
    {
        if (context.Request.Path.StartsWithSegments(Path)) context.Response.Headers.CacheControl = "no-store";
        return next(context);
    }

    private static IResult Open(string? wait, HttpRequest request, PollSessionStore store, IOptions<MessagingOptions> messaging,
        TimeProvider time, ServiceShutdown shutdown)
    {
        if (ConnectOptions.TryParse(request, messaging.Value, out var connect) is { } invalid) return invalid;
        // wait=W declares the session's hold time once (wait=0: short polling), so its polls need not repeat it.
        var timeout = store.Options.PollTimeout;
        if (HoldTime.TryParse(wait, timeout, timeout, out var defaultWait) is { } badWait) return badWait;
        var mode = connect.Echo;
        var session = store.TryOpen(mode, defaultWait);
        if (session is null) return store.IsDraining ? Problems.ShuttingDown() : Problems.TooManySessions(store.Options.MaxSessions);
        if (connect.PushInterval is { } interval)
        {
            // Runs until the session closes (Enqueue returns false) or the server stops; it must not keep this
            // request's context (and its meter) alive, hence no flow of the execution context.
            using (ExecutionContext.SuppressFlow())
                _ = TickStream.RunAsync(interval, time, tick => ValueTask.FromResult(session.Enqueue(tick)), shutdown.Stopping);
        }

        var o = store.Options;
        return TypedResults.Created($"{Path}/{session.Id}", new SessionCreated(
            session.Id,
            mode == EchoMode.Exact ? Echo.ExactQueryValue : "received",
            (int)o.PollTimeout.TotalMilliseconds,
            (int)defaultWait.TotalMilliseconds,
            (int)o.IdleTimeout.TotalMilliseconds,
            messaging.Value.MaxMessageBytes,
            o.MaxBacklogMessages,
            o.MaxBacklogBytes));
    }

    private static async Task<IResult> Send(string id, string? seq, HttpRequest request, PollSessionStore store, IOptions<MessagingOptions> messaging)
    {
        if (Lookup(store, id, out var session) is { } missing) return missing;
        long? clientSeq = null;
        if (seq is not null)
        {
            if (!long.TryParse(seq, NumberStyles.None, CultureInfo.InvariantCulture, out long parsed) || parsed < 1)
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
        if (Lookup(store, id, out var session) is { } missing) return missing;
        if (!long.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out long after))
        {
            return Problems.Create(StatusCodes.Status400BadRequest, "Invalid cursor",
                $"cursor='{cursor}' is not a sequence number: send cursor=0 on the first poll, then the cursor of the last 200 response.");
        }
        // Without wait the session's default (set by POST /poll?wait=W) applies; wait=0 answers at once.
        if (HoldTime.TryParse(wait, session.DefaultWait, store.Options.PollTimeout, out var hold) is { } badWait) return badWait;

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

    private static IResult Close(string id, PollSessionStore store)
    {
        if (Lookup(store, id, out var session) is { } missing) return missing;
        session.Close("The client closed the session (DELETE). Open a new session with POST /poll.");
        return TypedResults.NoContent();
    }

    /// <summary>Finds an open session, or the 404 / 410 problem that explains why there is none.</summary>
    private static IResult? Lookup(PollSessionStore store, string id, out PollSession session)
    {
        var found = store.Find(id);
        session = found.Session!;
        if (found.Session is { CloseReason: { } reason }) return Problems.SessionGone(reason);
        if (found.Session is not null) return null;
        return found.WasIssued
            ? Problems.SessionGone("The session expired or was closed. Open a new session with POST /poll.")
            : Problems.Create(StatusCodes.Status404NotFound, "Unknown session",
                $"No session has the id '{id}': open one with POST /poll and use the id from its response.");
    }
}
