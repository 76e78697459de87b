using Microsoft.Extensions.Options;

namespace PushCompare.Web.Security;

/// <summary>
/// The one rule for a browser's <c>Origin</c>, shared by the Origin check (every guarded endpoint, WebSocket included)
/// and CORS (fetch, XHR, EventSource): the request's own origin, another of the app's own origins
/// (<see cref="AppOrigins"/>), or one listed in <c>Security:AllowedOrigins</c>. Nothing else, and never a wildcard.
/// </summary>
public sealed class OriginPolicy(AppOrigins own, IOptions<SecurityOptions> options)
{
    /// <summary>Whether <paramref name="origin"/> is the origin <paramref name="request"/> was sent to (same-origin).</summary>
    public static bool IsSameOrigin(HttpRequest request, string origin) =>
        string.Equals(origin, $"{request.Scheme}://{request.Host.Value}", StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether a page on <paramref name="origin"/> may call this app from another origin.</summary>
    public bool AllowsCrossOrigin(string origin) =>
        own.Contains(origin) || options.Value.AllowedOrigins.Contains(origin, StringComparer.OrdinalIgnoreCase);

    public bool Allows(HttpRequest request, string origin) => IsSameOrigin(request, origin) || AllowsCrossOrigin(origin);
}
