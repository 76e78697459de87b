using PushCompare.Metering;
using PushCompare.Web.Http;
using PushCompare.Web.Security;

namespace PushCompare.Web.Metering;

/// <summary><c>GET /api/stats[?session=key]</c> and <c>POST /api/stats/reset</c>; their own bytes count as "other".</summary>
public static class StatsEndpoints
{
    public const string Path = StatsRoutes.Path;

    /// <summary>
    /// On a figures answer read through a load balancer that does not meter (nginx, HAProxy: anything but the
    /// PushCompare gateway): the balancer's address. The figures are then this instance's, for the balancer's
    /// connections to it, not the browser's, and the page says so instead of showing them beside DevTools'.
    /// </summary>
    public const string BehindProxyHeader = "PushCompare-Behind-Proxy";

    public static RouteGroupBuilder MapStats(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(Path).RequireOrigin().WithNoStore(); // a foreign page must not reset or read another origin's figures
        group.MapGet("", GetStats).WithName("GetStats");
        group.MapPost("/reset", Reset).WithName("ResetStats");
        return group;
    }

    private static async Task<IResult> GetStats(string? session, WireMeter meter, HttpContext context)
    {
        if (TrustedProxies.ForwardedBy(context) is { } proxy) context.Response.Headers[BehindProxyHeader] = proxy;
        var snapshot = meter.Snapshot(session);
        // Sessions shared between instances: one session's figures are the sum of every instance's share.
        if (session is not null && context.RequestServices.GetService<ISharedSessionFigures>() is { } shared && await shared.SumAsync(session) is { } summed)
            snapshot = snapshot with { Sessions = [summed] };
        return TypedResults.Ok(snapshot);
    }

    private static IResult Reset(WireMeter meter)
    {
        meter.Reset();
        return TypedResults.NoContent();
    }
}
