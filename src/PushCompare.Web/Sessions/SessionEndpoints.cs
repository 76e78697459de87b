using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Options;
using PushCompare.Web.Http;
using PushCompare.Web.Messaging;
using PushCompare.Web.Metering;
using PushCompare.Web.Push;

namespace PushCompare.Web.Sessions;

/// <summary>
/// Where a session-based transport lives: its path (<c>/poll</c>, <c>/sse</c>) and the transports whose sessions it
/// serves. A session is served only under the path that opened it; under another it is unknown (404).
/// </summary>
internal sealed record SessionRoutes(string Path, params TransportDescriptor[] Transports)
{
    public bool Serves(MessageSession session) => Array.IndexOf(Transports, session.Transport) >= 0;
}

/// <summary>
/// What long polling, short polling and SSE share, written once: the session store and its limits, opening a session
/// (connect options, the push stream, the session's figures), the sequenced idempotent upstream <c>POST</c>,
/// acknowledgement, closing, and finding a session by id with the 404 / 410 that explains why there is none.
/// Each transport maps these under its own path beside its own way of reading the session's log.
/// </summary>
internal static class SessionEndpoints
{
    public static IServiceCollection AddSessions(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<MessageSessionOptions, MessageSessionOptionsValidator>(configuration.GetSection(MessageSessionOptions.Section));
        services.AddSingleton<SessionIds>();
        services.AddSingleton<SessionStore>();
        services.AddHostedService<SessionSweeper>();
        return services;
    }

    /// <summary>A transport's open-session count for its registration: what the store holds open of it.</summary>
    public static Func<IServiceProvider, Func<int>> OpenCountOf(TransportDescriptor transport) =>
        sp => () => sp.GetRequiredService<SessionStore>().OpenCountOf(transport);

    /// <summary>On shutdown, deliver what was accepted with 202 (or name it in the 410) before the web server stops.</summary>
    public static WebApplication DrainSessionsOnShutdown(this WebApplication app)
    {
        var store = app.Services.GetRequiredService<SessionStore>();
        app.Services.GetRequiredService<ServiceShutdown>().OnStopping(cancel => store.DrainAsync(store.Options.ShutdownDrainTimeout, cancel));
        return app;
    }

    /// <summary>
    /// Opens a session of <paramref name="transport"/> with the request's connect options (<c>echo</c>, <c>push</c>);
    /// false with the 400 / 503 that explains why not. The request counts to the new session's figures.
    /// </summary>
    public static bool TryOpen(HttpContext context, TransportDescriptor transport, TimeSpan defaultWait, [NotNullWhen(true)] out MessageSession? session,
        [NotNullWhen(false)] out IResult? problem)
    {
        var services = context.RequestServices;
        var store = services.GetRequiredService<SessionStore>();
        var messaging = services.GetRequiredService<IOptions<MessagingOptions>>().Value;
        session = null;
        if (!ConnectOptions.TryParse(context.Request, messaging, out var connect, out problem)) return false;
        if (!store.TryOpen(transport, connect.Echo, defaultWait, out session))
        {
            problem = store.IsDraining ? Problems.ShuttingDown() : Problems.TooManySessions(store.Options.MaxSessions);
            return false;
        }
        // The stats key is server-issued and unique, so the metering never refuses it.
        if (RequestMetering.Of(context).TryOpenSession(session.Transport, session.StatsKey, out var figures)) session.TrackFigures(figures);
        if (connect.PushInterval is { } interval)
        {
            // Runs until the session ends or the server stops; it must not keep this request's context (and its meter)
            // alive, hence no flow of the execution context.
            var time = services.GetRequiredService<TimeProvider>();
            var stopping = services.GetRequiredService<ServiceShutdown>().Stopping;
            using (ExecutionContext.SuppressFlow()) _ = PushAsync(session, interval, time, stopping);
        }
        return true;
    }

    private static async Task PushAsync(MessageSession session, TimeSpan interval, TimeProvider time, CancellationToken stopping)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(session.Ended, stopping);
        await TickStream.RunAsync(interval, time, tick => ValueTask.FromResult(session.Enqueue(tick)), stop.Token);
    }

    /// <summary>
    /// <c>POST {path}/{id}[?seq=N][&amp;ack=M]</c>: one message, its reply queued on the session's log. A retried
    /// <c>seq</c> is acknowledged again without a second reply; <c>ack</c> also acknowledges the log up to M.
    /// </summary>
    public static async Task<IResult> SendAsync(SessionRoutes routes, string id, string? seq, string? ack, HttpContext context)
    {
        var store = context.RequestServices.GetRequiredService<SessionStore>();
        int maxBytes = context.RequestServices.GetRequiredService<IOptions<MessagingOptions>>().Value.MaxMessageBytes;
        if (!TryFind(routes, store, id, context, out var session, out var missing)) return missing;
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
        if (ack is not null && !TryAcknowledge(session, "ack", ack, out var badAck)) return badAck;

        var (text, problem) = await TextBody.ReadAsync(context.Request, maxBytes, context.RequestAborted);
        if (problem is not null) return problem;

        return session.Accept(clientSeq, () => Echo.Reply(text!, session.Mode)) switch
        {
            SendStatus.Accepted => Accepted(text!, context),
            SendStatus.Duplicate => TypedResults.Accepted((string?)null),
            SendStatus.ShuttingDown => Problems.ShuttingDown(),
            SendStatus.Gap => Problems.Create(StatusCodes.Status409Conflict, "Sequence gap",
                $"seq={clientSeq} skips ahead: the next message must carry seq={session.ExpectedClientSeq}. Resend the missing messages in order."),
            _ => Problems.SessionGone(session.CloseReason, routes.Path),
        };
    }

    private static IResult Accepted(string text, HttpContext context)
    {
        RequestMetering.Of(context).Received(text); // counted once: a retried seq is not a new message
        return TypedResults.Accepted((string?)null);
    }

    /// <summary>Acknowledges the log up to the value of query parameter <paramref name="name"/>; false with the 400 that explains a bad one.</summary>
    public static bool TryAcknowledge(MessageSession session, string name, string value, [NotNullWhen(false)] out IResult? problem)
    {
        problem = null;
        if (!QueryNumber.TryParse(value, out long upTo))
        {
            problem = Problems.Create(StatusCodes.Status400BadRequest, "Invalid acknowledgement",
                $"{name}='{value}' is not a message number: give the id of the last event you processed (0 for none).");
            return false;
        }
        if (session.TryAcknowledge(upTo, out string? detail)) return true;
        problem = Problems.Create(StatusCodes.Status400BadRequest, "Invalid acknowledgement", $"{name}={detail}");
        return false;
    }

    /// <summary><c>DELETE {path}/{id}</c>: ends the session; its reader is answered at once.</summary>
    public static IResult Close(SessionRoutes routes, string id, HttpContext context)
    {
        var store = context.RequestServices.GetRequiredService<SessionStore>();
        if (!TryFind(routes, store, id, context, out var session, out var missing)) return missing;
        session.Close($"The client closed the session (DELETE). Open a new session with POST {routes.Path}.");
        return TypedResults.NoContent();
    }

    /// <summary>
    /// Finds an open session of these routes and counts the request to it; false with the 404 / 410 problem that
    /// explains why there is none. A request for an id the server never issued counts as "other".
    /// </summary>
    public static bool TryFind(SessionRoutes routes, SessionStore store, string id, HttpContext context, [NotNullWhen(true)] out MessageSession? session,
        [NotNullWhen(false)] out IResult? problem)
    {
        var found = store.Find(id);
        session = null;
        problem = null;
        if (found.Session is { } known && routes.Serves(known))
        {
            RequestMetering.Of(context).Attribute(known.Transport, known.StatsKey);
            if (known.CloseReason is { } reason)
            {
                problem = Problems.SessionGone(reason, routes.Path);
                return false;
            }
            session = known;
            return true;
        }
        if (found.Session is null && found.WasIssued)
        {
            // Swept already: the figures (if still tracked) know which transport the session was.
            RequestMetering.Of(context).Attribute(null, store.Ids.StatsKey(id));
            problem = Problems.SessionGone(null, routes.Path);
            return false;
        }
        problem = Problems.Create(StatusCodes.Status404NotFound, "Unknown session",
            $"No session has the id '{id}' under {routes.Path}: open one with POST {routes.Path} and use the id from its response.");
        return false;
    }
}
