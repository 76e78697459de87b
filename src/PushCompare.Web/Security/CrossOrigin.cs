using Microsoft.AspNetCore.Cors.Infrastructure;

namespace PushCompare.Web.Security;

/// <summary>
/// CORS for the guarded endpoints, so a page on one of the app's own origins (http://localhost:5080) can use the
/// transports and the stats on another (https://localhost:5081): the comparison run measures both protocols from one
/// page. The allowed origin is echoed, never <c>*</c>; no credentials (the transports use no cookies, and fetch and
/// EventSource send none cross-origin by default). A same-origin request gets no CORS headers at all, so the bytes the
/// page measures on its own origin are what they were before.
/// </summary>
internal sealed class CrossOriginPolicyProvider(OriginPolicy origins) : ICorsPolicyProvider
{
    public const string PolicyName = "own-origins";

    // What the pages' transports send: POST (open, send, ack), GET (poll, stream, stats), DELETE (close); Content-Type
    // text/plain is CORS-safelisted but listed for other clients; EventSource reconnects with Last-Event-ID.
    private readonly CorsPolicy _policy = new CorsPolicyBuilder()
        .SetIsOriginAllowed(origins.AllowsCrossOrigin)
        .WithMethods(HttpMethods.Get, HttpMethods.Post, HttpMethods.Delete)
        .WithHeaders("Content-Type", "Last-Event-ID")
        .WithExposedHeaders("Location", "Retry-After") // where a new session lives; how long to wait after a 429/503
        .SetPreflightMaxAge(TimeSpan.FromMinutes(10)) // one preflight per URL, not one per DELETE
        .Build();

    public Task<CorsPolicy?> GetPolicyAsync(HttpContext context, string? policyName)
    {
        string? origin = context.Request.Headers.Origin;
        bool applies = policyName == PolicyName && origin is not null
            && !OriginPolicy.IsSameOrigin(context.Request, origin) && origins.AllowsCrossOrigin(origin);
        // No policy: the CORS middleware adds nothing, the browser blocks the answer, and OriginCheck refuses the request.
        return Task.FromResult(applies ? _policy : null);
    }
}
