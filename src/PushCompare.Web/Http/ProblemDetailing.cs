using Microsoft.AspNetCore.Http.Features;

namespace PushCompare.Web.Http;

/// <summary>Gives the framework's own error answers (routing 404/405, unhandled exceptions) a sentence a person can act on.</summary>
public static class ProblemDetailing
{
    public static void Configure(ProblemDetailsOptions options) => options.CustomizeProblemDetails = context =>
    {
        var http = context.HttpContext;
        context.ProblemDetails.Detail ??= context.ProblemDetails.Status switch
        {
            StatusCodes.Status405MethodNotAllowed =>
                $"{http.Request.Method} is not allowed on {http.Request.Path}: use {http.Response.Headers.Allow} (see docs/protocol.md).",
            StatusCodes.Status404NotFound => $"Nothing is served at {http.Request.Path}: the endpoints are / (the page), /ws, /poll, /sse, "
                + "/topics/{name}, /api/stats, /api/origins, /healthz and /readyz (see docs/protocol.md).",
            _ => null,
        };
        // Routing's own refusals (nothing at this path, or not for this method) are not cached either: an app's endpoint
        // declares no-store for its own answers, and what a path serves can change with the next deployment.
        if (context.ProblemDetails.Status is StatusCodes.Status404NotFound or StatusCodes.Status405MethodNotAllowed && http.GetEndpoint() is not RouteEndpoint)
            http.Response.Headers.CacheControl = "no-store";
        // Trace ids help nobody reading a teaching tool's wire bytes; status pages and logs correlate by time.
        context.ProblemDetails.Extensions.Remove("traceId");
    };

    /// <summary>
    /// The framework's exception handler and status-code pages, for every request but a protocol upgrade (a WebSocket
    /// handshake). A browser never shows a failed handshake's body to the page, and endpoints that upgrade answer their
    /// own refusals as ProblemDetails; while these two middlewares wrap a request they keep an async frame alive, which
    /// for a WebSocket is as long as the socket is open (memory per idle connection, docs/benchmarks.md).
    /// </summary>
    public static WebApplication UseProblemResponses(this WebApplication app)
    {
        app.UseWhen(static context => !IsUpgrade(context), static branch =>
        {
            branch.UseExceptionHandler();
            branch.UseStatusCodePages(); // empty 404/405 answers from routing become ProblemDetails too
        });
        return app;
    }

    private static bool IsUpgrade(HttpContext context) =>
        context.Features.Get<IHttpUpgradeFeature>()?.IsUpgradableRequest == true
        || context.Features.Get<IHttpExtendedConnectFeature>()?.IsExtendedConnect == true;
}
