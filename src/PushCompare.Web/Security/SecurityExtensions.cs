using PushCompare.Web.Messaging;

namespace PushCompare.Web.Security;

public static class SecurityExtensions
{
    /// <summary>Origin allow-list and per-address rate limits on new connections (WebSocket upgrades and polling sessions).</summary>
    public static IServiceCollection AddConnectionGuards(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<SecurityOptions, SecurityOptionsValidator>(configuration.GetSection(SecurityOptions.Section));
        services.AddSingleton<OriginCheck>();
        services.AddSingleton<ConnectLimiter>();
        return services;
    }

    /// <summary>Checks the guards the endpoint declares (<see cref="RequireOrigin"/>, <see cref="LimitConnects"/>); after routing.</summary>
    public static WebApplication UseConnectionGuards(this WebApplication app)
    {
        app.UseMiddleware<ConnectionGuardMiddleware>();
        return app;
    }

    /// <summary>Marks an endpoint that opens a connection: Origin checked, rate-limited per client address.</summary>
    public static TBuilder GuardConnect<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.RequireOrigin().LimitConnects();

    /// <summary>Refuses cross-origin browser requests (403) unless the origin is allow-listed.</summary>
    public static TBuilder RequireOrigin<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(ConnectionGuard.Origin);

    /// <summary>Counts each request against its client address's budget of new connections (429 past it).</summary>
    public static TBuilder LimitConnects<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(ConnectionGuard.ConnectLimit);
}
