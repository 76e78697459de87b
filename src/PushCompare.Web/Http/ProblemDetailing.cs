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
            StatusCodes.Status404NotFound => $"Nothing is served at {http.Request.Path}: the endpoints are /, /ws and /poll (see docs/protocol.md).",
            _ => null,
        };
        // Trace ids help nobody reading a teaching tool's wire bytes; status pages and logs correlate by time.
        context.ProblemDetails.Extensions.Remove("traceId");
    };
}
