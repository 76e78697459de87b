using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Extensions.Options;
using PushCompare.Web.Http;
using PushCompare.Web.Messaging;
using PushCompare.Metering;
using PushCompare.Web.Push;
using PushCompare.Web.Topics;
using PushCompare.Serving;

namespace PushCompare.Web.Sessions;

/// <summary>
/// Where a session-based transport lives: its path (<c>/poll</c>, <c>/sse</c>, <c>/ws</c>), the transport its requests
/// of a session count as, and the request that opens a session there (<c>POST {path}</c> unless it says otherwise).
/// Any session is served under any of them, whichever transport opened it.
/// </summary>
internal sealed record SessionRoutes(string Path, Func<IMessageSession, TransportDescriptor> TransportOf, string? Open = null)
{
    public string OpenRequest => Open ?? "POST " + Path;
}

/// <summary>
/// What long polling, short polling, SSE and the WebSocket's session mode share, written once: the session store and its limits, opening a session
/// (connect options, the push stream, the session's figures), the sequenced idempotent upstream <c>POST</c>,
/// acknowledgement, closing, and finding a session by id with the 404 / 410 that explains why there is none.
/// Each transport maps these under its own path beside its own way of reading the session's log.
/// </summary>
internal static class SessionEndpoints
{
    /// <summary>The sessions' limits and their 503 when the store is unreachable; where they live is the backplane's (<c>AddBackplane</c>).</summary>
    public static IServiceCollection AddSessions(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<MessageSessionOptions, MessageSessionOptionsValidator>(configuration.GetSection(MessageSessionOptions.Section));
        services.AddExceptionHandler<SessionStoreUnavailableHandler>();
        return services;
    }

    /// <summary>
    /// A session transport's route group: it serves the sessions of <paramref name="routes"/>, and a handler that takes
    /// a <see cref="RequestedSession"/> starts with the session in hand: this filter answers the 404 / 410 (or a drained
    /// stream's 204) when the id names none.
    /// </summary>
    public static RouteGroupBuilder ServesSessions(this RouteGroupBuilder group, SessionRoutes routes)
    {
        group.WithMetadata(routes);
        group.AddEndpointFilterFactory(static (factory, next) =>
        {
            int index = Array.FindIndex(factory.MethodInfo.GetParameters(), p => p.ParameterType == typeof(RequestedSession));
            if (index < 0) return next; // opening a session: nothing to find
            return context => context.GetArgument<RequestedSession>(index).Refusal is { } refusal ? ValueTask.FromResult<object?>(refusal) : next(context);
        });
        return group;
    }

    /// <summary>
    /// The default wait of a session opened by a transport that does not poll (SSE, WebSocket): its polls, if a client
    /// switches to polling, are held for the poll timeout like a long-polling session's.
    /// </summary>
    public static readonly TimeSpan UntilPollTimeout = TimeSpan.MaxValue;

    /// <summary>A transport's open-session count for its registration: what the store holds open of it.</summary>
    public static Func<IServiceProvider, Func<int>> OpenCountOf(TransportDescriptor transport) =>
        sp => () => sp.GetRequiredService<ISessionStore>().OpenCountOf(transport);

    /// <summary>On shutdown, deliver what was accepted with 202 (or name it in the 410) before the web server stops.</summary>
    public static WebApplication DrainSessionsOnShutdown(this WebApplication app)
    {
        var store = app.Services.GetRequiredService<ISessionStore>();
        app.Services.GetRequiredService<ServiceShutdown>().OnStopping(cancel => store.DrainAsync(store.Options.ShutdownDrainTimeout, cancel));
        return app;
    }

    /// <summary>
    /// Opens a session of <paramref name="transport"/> with the request's connect options (<c>echo</c>, <c>push</c>, <c>topic</c>);
    /// the 400 / 503 that explains why not. The request counts to the new session's figures.
    /// </summary>
    public static async Task<(IMessageSession? Session, IResult? Problem)> OpenAsync(HttpContext context, TransportDescriptor transport, TimeSpan defaultWait)
    {
        var services = context.RequestServices;
        var store = services.GetRequiredService<ISessionStore>();
        var messaging = services.GetRequiredService<IOptions<MessagingOptions>>().Value;
        if (!ConnectOptions.TryParse(context.Request, messaging, out var connect, out var problem)) return (null, problem);
        var opening = await store.OpenAsync(transport, connect.Echo, defaultWait);
        if (opening.Session is not { } session)
        {
            return (null, opening.Refusal == OpenRefusal.ShuttingDown ? Problems.ShuttingDown() : Problems.TooManySessions(store.Options.MaxSessions));
        }
        // The stats key is server-issued and unique, so the metering never refuses it.
        if (RequestMetering.Of(context).TryOpenSession(session.Transport, session.StatsKey, SessionKeying.ServerIssued, out var figures))
            session.TrackFigures(figures);
        if (connect.Topic is { } topic)
        {
            // Subscribed by id for the session's life; the session's end (close, expiry, backlog overflow, drain) unsubscribes.
            var subscription = await services.GetRequiredService<ITopicBus>().SubscribeSessionAsync(topic, session.Id);
            session.Ended.Register(static s => ((IDisposable)s!).Dispose(), subscription);
        }
        if (connect.PushInterval is { } interval)
        {
            // Runs until the session ends or the server stops; it must not keep this request's context (and its meter)
            // alive, hence no flow of the execution context.
            var time = services.GetRequiredService<TimeProvider>();
            var stopping = services.GetRequiredService<ServiceShutdown>().Stopping;
            using (ExecutionContext.SuppressFlow()) _ = PushAsync(session, interval, time, stopping);
        }
        return (session, null);
    }

    private static async Task PushAsync(IMessageSession session, TimeSpan interval, TimeProvider time, CancellationToken stopping)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(session.Ended, stopping);
        await TickStream.RunAsync(interval, time, DeliverAsync, stop.Token);

        async ValueTask<bool> DeliverAsync(string tick)
        {
            try
            {
                return await session.EnqueueAsync(tick);
            }
            catch (SessionStoreUnavailableException)
            {
                return true; // a tick made while the store is unreachable is not queued: its number is skipped, visibly
            }
        }
    }

    /// <summary>
    /// <c>POST {path}/{id}[?seq=N][&amp;ack=M]</c>: one message, its reply queued on the session's log. A retried
    /// <c>seq</c> is acknowledged again without a second reply; <c>ack</c> also acknowledges the log up to M.
    /// </summary>
    public static async Task<IResult> SendAsync(RequestedSession requested, string? seq, string? ack, HttpContext context)
    {
        int maxBytes = context.RequestServices.GetRequiredService<IOptions<MessagingOptions>>().Value.MaxMessageBytes;
        var (session, routes) = (requested.Session, requested.Routes);
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
        long? acknowledge = null;
        if (ack is not null)
        {
            if (!TryParseAcknowledgement("ack", ack, out long upTo, out var badAck)) return badAck;
            acknowledge = upTo;
        }

        var (text, problem) = await TextBody.ReadAsync(context.Request, maxBytes, context.RequestAborted);
        if (problem is not null) return problem;

        // The acknowledgement and the message go to the store together: one step (with Redis, one round trip).
        var sent = await session.AcceptAsync(clientSeq, Echo.Reply(text!, session.Mode), acknowledge);
        return sent.Status switch
        {
            SendStatus.AckAhead => BadAcknowledgement($"ack={sent.Problem}"),
            SendStatus.Accepted => Accepted(text!, context),
            SendStatus.Duplicate => TypedResults.Accepted((string?)null),
            SendStatus.ShuttingDown => Problems.ShuttingDown(),
            SendStatus.Gap => Problems.Create(StatusCodes.Status409Conflict, "Sequence gap",
                $"seq={clientSeq} skips ahead: the next message must carry seq={sent.ExpectedSeq}. Resend the missing messages in order."),
            _ => session.CloseReason is { } reason ? Problems.SessionGone(reason, routes.OpenRequest) : await GoneAsync(routes, requested.Id, context),
        };
    }

    private static IResult Accepted(string text, HttpContext context)
    {
        RequestMetering.Of(context).Received(text); // counted once: a retried seq is not a new message
        return TypedResults.Accepted((string?)null);
    }

    // The 410 of a session that closed during the request (on another instance, say), with the reason it closed for.
    private static async Task<IResult> GoneAsync(SessionRoutes routes, string id, HttpContext context) =>
        (await FindAsync(routes, id, context)).Problem ?? Problems.SessionGone(null, routes.OpenRequest);

    /// <summary>Acknowledges the log up to the value of query parameter <paramref name="name"/>; null, or the 400 that explains a bad one.</summary>
    public static async ValueTask<IResult?> AcknowledgeAsync(IMessageSession session, string name, string value)
    {
        if (!TryParseAcknowledgement(name, value, out long upTo, out var problem)) return problem;
        var (ok, detail) = await session.AcknowledgeAsync(upTo);
        return ok ? null : BadAcknowledgement($"{name}={detail}");
    }

    private static bool TryParseAcknowledgement(string name, string value, out long upTo, [NotNullWhen(false)] out IResult? problem)
    {
        problem = null;
        if (QueryNumber.TryParse(value, out upTo)) return true;
        problem = BadAcknowledgement($"{name}='{value}' is not a message number: give the id of the last event you processed (0 for none).");
        return false;
    }

    private static IResult BadAcknowledgement(string detail) => Problems.Create(StatusCodes.Status400BadRequest, "Invalid acknowledgement", detail);

    /// <summary>How the close reason of a session its client ended with <c>DELETE</c> begins.</summary>
    public const string ClosedByClient = "The client closed the session (DELETE).";

    /// <summary><c>DELETE {path}/{id}</c>: ends the session; its reader is answered at once.</summary>
    public static async Task<IResult> CloseAsync(RequestedSession requested)
    {
        await requested.Session.CloseAsync($"{ClosedByClient} Open a new session with {requested.Routes.OpenRequest}.");
        return TypedResults.NoContent();
    }

    /// <summary>
    /// Finds an open session (opened by any transport) and counts the request to it, as these routes' transport; else the 404 / 410 problem that explains
    /// why there is none. A request for an id the server never issued counts as "other".
    /// </summary>
    public static async Task<(IMessageSession? Session, IResult? Problem)> FindAsync(SessionRoutes routes, string id, HttpContext context) =>
        Served(routes, id, await context.RequestServices.GetRequiredService<ISessionStore>().FindAsync(id), context);

    /// <summary>What <see cref="FindAsync"/> answers for what the store <paramref name="found"/>.</summary>
    public static (IMessageSession? Session, IResult? Problem) Served(SessionRoutes routes, string id, SessionFound found, HttpContext context)
    {
        if (found.Session is { } known)
        {
            CountTo(context, context.RequestServices.GetRequiredService<ISessionStore>(), known, routes.TransportOf(known));
            return known.CloseReason is { } reason ? (null, Problems.SessionGone(reason, routes.OpenRequest)) : (known, null);
        }
        if (found.Session is null && found.WasIssued)
        {
            // Gone already: the figures (if still tracked) know which transport the session was.
            RequestMetering.Of(context).Attribute(null, found.StatsKey);
            return (null, Problems.SessionGone(null, routes.OpenRequest));
        }
        return (null, Problems.Create(StatusCodes.Status404NotFound, "Unknown session",
            $"No session has the id '{id}' under {routes.Path}: open one with {routes.OpenRequest} and use the id from its response."));
    }

    /// <summary>
    /// Counts the request to <paramref name="transport"/> (the one serving it) and to the session's figures, in that
    /// transport's part; with a shared store they may start on this instance now (summed in /api/stats).
    /// </summary>
    public static void CountTo(HttpContext context, ISessionStore store, IMessageSession session, TransportDescriptor transport)
    {
        var metering = RequestMetering.Of(context);
        // Another instance opened it: this instance's share of its figures begins here; the opener holds the open lease.
        if (store.IsShared && metering.TryOpenSession(transport, session.StatsKey, SessionKeying.ServerIssued, out var share)) share.Dispose();
        else metering.Attribute(transport, session.StatsKey);
    }
}

/// <summary>Any session operation that finds the shared store unreachable answers 503 with Retry-After, never a 500.</summary>
internal sealed partial class SessionStoreUnavailableHandler(ILogger<SessionStoreUnavailableHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not SessionStoreUnavailableException unavailable || httpContext.Response.HasStarted) return false;
        StoreUnavailable(logger, httpContext.Request.Method, httpContext.Request.Path, unavailable.InnerException?.Message ?? unavailable.Message);
        await Problems.SessionStoreUnavailable().ExecuteAsync(httpContext);
        return true;
    }

    [LoggerMessage(EventId = 220, Level = LogLevel.Warning, Message = "{Method} {Path} answered 503: the session store is unavailable ({Reason})")]
    private static partial void StoreUnavailable(ILogger logger, string method, string path, string reason);
}
