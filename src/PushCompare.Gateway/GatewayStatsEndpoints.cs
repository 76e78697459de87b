using PushCompare.Metering;

namespace PushCompare.Gateway;

/// <summary>
/// <c>GET /api/stats[?session=KEY]</c> and <c>POST /api/stats/reset</c> answered by the gateway: its own figures for
/// the browsers' connections, merged with its instances' answers to the same request (<see cref="GatewayStats"/>,
/// docs/protocol.md). The instances' origin check decides for the gateway too: their refusal is passed on.
/// </summary>
internal static class GatewayStatsEndpoints
{
    public static void MapGatewayStats(this IEndpointRouteBuilder app)
    {
        app.MapGet(StatsRoutes.Path, GetAsync);
        app.MapPost(StatsRoutes.ResetPath, ResetAsync);
    }

    private static async Task<IResult> GetAsync(string? session, HttpContext context, WireMeter meter, InstanceStats instances)
    {
        context.Response.Headers.CacheControl = "no-store"; // as the instances answer, refusals included
        var asked = await instances.AskAsync(context, HttpMethod.Get, StatsRoutes.Path + context.Request.QueryString);
        if (asked.Refusal is { } refusal) return refusal;
        // Its own figures after the instances': at least as recent as theirs.
        var merged = GatewayStats.Merge(meter.Snapshot(session), asked.Figures, asked.Asked, session, GatewayMetering.Keying(meter));
        return TypedResults.Ok(merged);
    }

    private static async Task<IResult> ResetAsync(HttpContext context, WireMeter meter, InstanceStats instances)
    {
        context.Response.Headers.CacheControl = "no-store";
        var asked = await instances.AskAsync(context, HttpMethod.Post, StatsRoutes.ResetPath);
        if (asked.Refusal is { } refusal) return refusal;
        meter.Reset();
        return TypedResults.NoContent();
    }
}
