using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace PushCompare.Web.Security;

/// <summary>
/// The client behind a trusted load balancer, the framework's way (<see cref="ForwardedHeadersMiddleware"/>): a request
/// whose TCP peer is in <c>Security:TrustedProxies</c> gets its client address from <c>X-Forwarded-For</c> and its scheme
/// from <c>X-Forwarded-Proto</c> (at most <c>Security:ForwardLimit</c> entries from the right, each hop only while the
/// address it came from is trusted too); from any other peer those headers are ignored, so a browser cannot name
/// another address to escape its rate limit. The host is not taken from X-Forwarded-Host: the balancer passes the
/// browser's Host itself (docs/scale-out.md).
/// </summary>
public static class TrustedProxies
{
    /// <summary>Builds <see cref="ForwardedHeadersOptions"/> from the validated <see cref="SecurityOptions"/>.</summary>
    public static IServiceCollection AddTrustedProxies(this IServiceCollection services)
    {
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<SecurityOptions>>((forwarded, security) => Configure(forwarded, security.Value));
        return services;
    }

    /// <summary>
    /// After the metering (which meters the TCP connection itself, whoever sent it) and before everything that asks
    /// who the client is: the origin check, the connect limit. Synchronous, so no frame stays alive per open WebSocket.
    /// </summary>
    public static WebApplication UseTrustedProxies(this WebApplication app)
    {
        app.UseForwardedHeaders();
        return app;
    }

    /// <summary>
    /// The address of the trusted proxy this request came through (the TCP peer the forwarded headers replaced, which
    /// the framework keeps in <c>X-Original-For</c>), or null when it came straight from its client or through the
    /// PushCompare gateway (which meters the client's own connection, so the figures still match DevTools). A client
    /// that sends X-Original-For itself only misleads its own page.
    /// </summary>
    public static string? ForwardedBy(HttpContext context) =>
        context.Request.Headers.ContainsKey(PushCompare.Metering.GatewayAttribution.RequestHeader) ? null
        : context.Request.Headers[new ForwardedHeadersOptions().OriginalForHeaderName].ToString() is { Length: > 0 } peer ? peer : null;

    private static void Configure(ForwardedHeadersOptions forwarded, SecurityOptions security)
    {
        // The framework trusts loopback by default, and trusts every peer when both lists are empty: neither is wanted.
        forwarded.KnownProxies.Clear();
        forwarded.KnownIPNetworks.Clear();
        if (security.TrustedProxies.Length == 0)
        {
            forwarded.ForwardedHeaders = ForwardedHeaders.None; // off: the middleware reads no header
            return;
        }
        forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
        forwarded.ForwardLimit = security.ForwardLimit;
        foreach (var entry in security.TrustedProxies)
        {
            if (!NetworkListAttribute.TryParse(entry, out var network)) continue; // refused at start-up by the validator
            forwarded.KnownIPNetworks.Add(network);
            // Kestrel on a dual-stack socket reports an IPv4 peer as ::ffff:a.b.c.d: trust that spelling too.
            if (network.BaseAddress.AddressFamily == AddressFamily.InterNetwork)
                forwarded.KnownIPNetworks.Add(new System.Net.IPNetwork(network.BaseAddress.MapToIPv6(), network.PrefixLength + 96));
        }
    }
}
