using PushCompare.Hosting.Links;
using PushCompare.Web.Links;
using Microsoft.AspNetCore.Cors.Infrastructure;
using PushCompare.Web.Http;
using PushCompare.Web.Messaging;
using PushCompare.Serving;

namespace PushCompare.Web.Security;

public static class SecurityExtensions
{
    /// <summary>Origin allow-list, CORS for the app's own other origins, per-address rate limits on new connections, and which proxies may name the client.</summary>
    public static IServiceCollection AddConnectionGuards(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<SecurityOptions, SecurityOptionsValidator>(configuration.GetSection(SecurityOptions.Section));
        services.AddSingleton<AppOrigins>();
        services.AddSingleton<OriginPolicy>();
        services.AddSingleton<OriginCheck>();
        services.AddSingleton<ConnectLimiter>();
        services.AddTrustedProxies();
        services.AddCors();
        services.AddSingleton<ICorsPolicyProvider, CrossOriginPolicyProvider>();
        return services;
    }

    /// <summary>
    /// CORS first (a preflight is answered there and never spends a connect token), then the guards the endpoint declares
    /// (<see cref="RequireOrigin"/>, <see cref="LimitConnects"/>); after routing.
    /// </summary>
    public static WebApplication UseConnectionGuards(this WebApplication app)
    {
        // Only where an endpoint asks for CORS: the CORS middleware awaits the rest of the pipeline, and a WebSocket
        // (which CORS does not cover) would hold that frame for as long as it is open.
        app.UseWhen(context => context.GetEndpoint()?.Metadata.GetMetadata<ICorsMetadata>() is not null, branch => branch.UseCors());
        app.UseMiddleware<ConnectionGuardMiddleware>();
        return app;
    }

    /// <summary>Marks an endpoint that opens a connection: Origin checked, rate-limited per client address.</summary>
    public static TBuilder GuardConnect<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.CheckOrigin().LimitConnects();

    /// <summary>
    /// Refuses cross-origin browser requests (403) unless <see cref="OriginPolicy"/> allows the origin, and answers
    /// the allowed ones' CORS (preflight included): one rule for both.
    /// </summary>
    public static TBuilder RequireOrigin<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.CheckOrigin().RequireCors(CrossOriginPolicyProvider.PolicyName);

    /// <summary>Counts each request against its client address's budget of new connections (429 past it).</summary>
    public static TBuilder LimitConnects<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(ConnectionGuard.ConnectLimit);

    // The Origin check alone: what a WebSocket endpoint needs (browsers apply no CORS to WebSockets).
    private static TBuilder CheckOrigin<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(ConnectionGuard.Origin);

    public const string OriginsPath = "/api/origins";

    /// <summary>
    /// <c>GET /api/origins</c>: the app's own origins, the protocol this request came over, the emulated links the app
    /// is served over and the one this request came through, so the page can find its other origins (and check it can
    /// reach them) before a comparison, and say which link it is on.
    /// </summary>
    public static RouteHandlerBuilder MapOrigins(this IEndpointRouteBuilder app) =>
        app.MapGet(OriginsPath, (HttpContext context, AppOrigins origins, ServedLinks links) =>
            TypedResults.Ok(new OriginsAnswer([.. origins.Own], context.Request.Protocol, context.Request.IsHttps,
                [.. links.Configured.Select(l => LinkAnswer.Of(l.Profile, l.Port))],
                links.LinkOf(context.Connection) is { } link ? LinkAnswer.Of(link, null) : null)))
            .WithName("GetOrigins").RequireOrigin().WithNoStore();
}

/// <summary>The answer of <c>GET /api/origins</c>.</summary>
/// <param name="Links">the emulated links the app is served over (<c>Links</c> settings), each with its origin</param>
/// <param name="Link">the link this request came through, or null (no emulated link: loopback)</param>
public sealed record OriginsAnswer(string[] Origins, string Protocol, bool Tls, LinkAnswer[] Links, LinkAnswer? Link);

/// <summary>An emulated link: its profile's name, its figures in words, its round trip, and where it serves the app.</summary>
public sealed record LinkAnswer(string Name, string Description, double RoundTripMs, string? Origin)
{
    public static LinkAnswer Of(LinkProfile profile, int? port) => new(profile.Name, profile.Figures,
        profile.RoundTrip.TotalMilliseconds, port is { } p ? $"http://localhost:{p}" : null);
}
