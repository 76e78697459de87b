using PushCompare.Web.Security;

namespace PushCompare.Web.Metering;

/// <summary><c>GET /api/stats[?session=key]</c> and <c>POST /api/stats/reset</c>; their own bytes count as "other".</summary>
public static class StatsEndpoints
{
    public const string Path = "/api/stats";

    public static RouteGroupBuilder MapStats(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(Path).RequireOrigin(); // a foreign page must not reset or read another origin's figures
        group.MapGet("", GetStats).WithName("GetStats");
        group.MapPost("/reset", Reset).WithName("ResetStats");
        return group;
    }

    private static IResult GetStats(string? session, WireMeter meter) => TypedResults.Ok(meter.Snapshot(session));

    private static IResult Reset(WireMeter meter)
    {
        meter.Reset();
        return TypedResults.NoContent();
    }
}
