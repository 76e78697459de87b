using System.Globalization;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using PushCompare.Web.Http;
using PushCompare.Web.Messaging;

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
        services.TryAddSingleton(TimeProvider.System);
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, LongPollingJson.Default));
        return services;
    }

    public static RouteGroupBuilder MapLongPolling(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(Path).AddEndpointFilter(NoStore);
        group.MapPost("", Open).WithName("OpenPollSession");
        group.MapPost("/{id}", Send).WithName("SendPollMessage");
        group.MapGet("/{id}", Poll).WithName("Poll");
        group.MapDelete("/{id}", Close).WithName("ClosePollSession");
        return group;
    }

    // Polling responses are live data: no browser or proxy may cache or replay them.
    private static ValueTask<object?> NoStore(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        context.HttpContext.Response.Headers.CacheControl = "no-store";
        return next(context);
    }

    private static IResult Open(string? echo, PollSessionStore store, IOptions<MessagingOptions> messaging)
    {
        if (!Echo.TryParseMode(echo, out var mode)) return Problems.BadEchoMode(echo);
        var session = store.TryOpen(mode);
        if (session is null) return Problems.TooManySessions(store.Options.MaxSessions);

        var o = store.Options;
        return TypedResults.Created($"{Path}/{session.Id}", new SessionCreated(
            session.Id,
            mode == EchoMode.Exact ? Echo.ExactQueryValue : "received",
            (int)o.PollTimeout.TotalMilliseconds,
            (int)o.IdleTimeout.TotalMilliseconds,
            messaging.Value.MaxMessageBytes,
            o.MaxBacklogMessages,
            o.MaxBacklogBytes));
    }

    private static async Task<IResult> Send(string id, HttpRequest request, PollSessionStore store, IOptions<MessagingOptions> messaging)
    {
        if (Lookup(store, id, out var session) is { } missing) return missing;

        var (text, problem) = await TextBody.ReadAsync(request, messaging.Value.MaxMessageBytes, request.HttpContext.RequestAborted);
        if (problem is not null) return problem;

        Metering.MessageMetering.Received(text!);
        return session.Enqueue(Echo.Reply(text!, session.Mode)) ? TypedResults.Accepted((string?)null) : Problems.SessionGone(session.CloseReason);
    }

    private static async Task<IResult> Poll(string id, string? cursor, PollSessionStore store, HttpContext context)
    {
        if (Lookup(store, id, out var session) is { } missing) return missing;
        if (!long.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out long after))
        {
            return Problems.Create(StatusCodes.Status400BadRequest, "Invalid cursor",
                $"cursor='{cursor}' is not a sequence number: send cursor=0 on the first poll, then the cursor of the last 200 response.");
        }

        var result = await session.PollAsync(after, store.Options.PollTimeout, context.RequestAborted);
        if (result.Status == PollStatus.Messages) Metering.MessageMetering.Delivering(result.Cursor, result.Messages!);
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
