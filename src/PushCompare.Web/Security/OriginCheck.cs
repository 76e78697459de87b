using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Options;
using PushCompare.Web.Http;

namespace PushCompare.Web.Security;

/// <summary>
/// Refuses (403) a browser request whose Origin is neither the app's own nor allow-listed. Requests without an Origin
/// (curl, native clients; Chromium omits it on same-origin GETs) pass: a hijacking page always runs in a browser, and
/// browsers always send Origin on WebSocket upgrades and cross-origin requests.
/// </summary>
internal sealed class OriginCheck(IOptions<SecurityOptions> options)
{
    /// <summary>True when the request may be served; false with the 403 that names its origin.</summary>
    public bool IsAllowed(HttpRequest request, [NotNullWhen(false)] out IResult? problem)
    {
        problem = null;
        string? origin = request.Headers.Origin;
        if (origin is null || IsOwn(request, origin) || options.Value.AllowedOrigins.Contains(origin, StringComparer.OrdinalIgnoreCase))
            return true;

        problem = Problems.Create(StatusCodes.Status403Forbidden, "Origin not allowed",
            $"Requests from origin '{origin}' are refused: open the page served by this server, or add the origin to Security:AllowedOrigins.");
        return false;
    }

    private static bool IsOwn(HttpRequest request, string origin) =>
        string.Equals(origin, $"{request.Scheme}://{request.Host.Value}", StringComparison.OrdinalIgnoreCase);
}
