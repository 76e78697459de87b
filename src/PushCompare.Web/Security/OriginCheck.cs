using System.Diagnostics.CodeAnalysis;
using PushCompare.Web.Http;

namespace PushCompare.Web.Security;

/// <summary>
/// Refuses (403) a browser request whose Origin <see cref="OriginPolicy"/> does not allow. Requests without an Origin
/// (curl, native clients; Chromium omits it on same-origin GETs) pass: a hijacking page always runs in a browser, and
/// browsers always send Origin on WebSocket upgrades and cross-origin requests. WebSockets are not covered by CORS, so
/// this check is what keeps a foreign page off /ws; for fetch it also stops the request, not only the reading of its answer.
/// </summary>
internal sealed class OriginCheck(OriginPolicy policy)
{
    /// <summary>True when the request may be served; false with the 403 that names its origin.</summary>
    public bool IsAllowed(HttpRequest request, [NotNullWhen(false)] out IResult? problem)
    {
        problem = null;
        string? origin = request.Headers.Origin;
        if (origin is null || policy.Allows(request, origin)) return true;

        problem = Problems.Create(StatusCodes.Status403Forbidden, "Origin not allowed",
            $"Requests from origin '{origin}' are refused: open the page served by this server, or add the origin to Security:AllowedOrigins.");
        return false;
    }
}
