using System.Reflection;
using PushCompare.Metering;

namespace PushCompare.Web.Sessions;

/// <summary>
/// The open session a request's <c>{id}</c> names, as a handler parameter: found once, while the request binds, under
/// the <see cref="SessionRoutes"/> its route group declares (<see cref="SessionEndpoints.ServesSessions"/>). A handler
/// that takes one runs only when there is such a session; the group's filter answers the 404 / 410 otherwise.
/// </summary>
internal sealed class RequestedSession
{
    private readonly IMessageSession? _session;

    private RequestedSession(SessionRoutes routes, string id, IMessageSession? session, IResult? refusal)
    {
        Routes = routes;
        Id = id;
        _session = session;
        Refusal = refusal;
    }

    /// <summary>Where the session is served.</summary>
    public SessionRoutes Routes { get; }

    /// <summary>The id as the client gave it.</summary>
    public string Id { get; }

    /// <summary>The session; a handler only ever sees a found one.</summary>
    public IMessageSession Session => _session ?? throw new InvalidOperationException($"No session '{Id}': the handler ran without its route group's session filter.");

    /// <summary>Why there is no session to serve (404, 410, or 204 for a drained stream), or null.</summary>
    public IResult? Refusal { get; }

    /// <summary>Minimal APIs' binding hook: looks the session up and counts the request to it.</summary>
    public static async ValueTask<RequestedSession?> BindAsync(HttpContext context, ParameterInfo parameter)
    {
        var endpoint = context.GetEndpoint();
        var routes = endpoint?.Metadata.GetMetadata<SessionRoutes>()
            ?? throw new InvalidOperationException($"{endpoint?.DisplayName} takes a {nameof(RequestedSession)} but declares no {nameof(SessionRoutes)}.");
        string id = context.Request.RouteValues["id"] as string ?? "";
        var found = await context.RequestServices.GetRequiredService<ISessionStore>().FindAsync(id);
        // A session the shutdown closed after everything was acknowledged: 204 stops an EventSource for good.
        if (found.Session is { Drained: true } drained && endpoint.Metadata.GetMetadata<DrainedSessionNoContent>() is not null)
        {
            RequestMetering.Of(context).Attribute(routes.TransportOf(drained), drained.StatsKey);
            return new RequestedSession(routes, id, null, TypedResults.NoContent());
        }
        var (session, problem) = SessionEndpoints.Served(routes, id, found, context);
        return new RequestedSession(routes, id, session, problem);
    }
}

/// <summary>
/// Endpoint metadata: a session the shutdown closed once its client had acknowledged everything is answered
/// <c>204 No Content</c> here rather than 410 (an event stream: EventSource does not reconnect after a 204).
/// </summary>
internal sealed class DrainedSessionNoContent
{
    public static readonly DrainedSessionNoContent Instance = new();

    private DrainedSessionNoContent()
    {
    }
}
