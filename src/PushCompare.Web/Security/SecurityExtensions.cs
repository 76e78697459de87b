using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using PushCompare.Web.Http;
using PushCompare.Web.Messaging;

namespace PushCompare.Web.Security;

public static class SecurityExtensions
{
    /// <summary>Name of the rate-limiting policy for opening a WebSocket or a polling session.</summary>
    public const string ConnectPolicy = "connect";

    /// <summary>Origin allow-list and per-address rate limits on new connections (WebSocket upgrades and polling sessions).</summary>
    public static IServiceCollection AddConnectionGuards(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<SecurityOptions, SecurityOptionsValidator>(configuration.GetSection(SecurityOptions.Section));
        services.AddSingleton<OriginCheck>();
        services.AddRateLimiter(limiter =>
        {
            limiter.AddPolicy(ConnectPolicy, context =>
            {
                var o = context.RequestServices.GetRequiredService<IOptions<SecurityOptions>>().Value;
                return RateLimitPartition.GetTokenBucketLimiter(context.Connection.RemoteIpAddress?.ToString() ?? "unknown", _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = o.ConnectBurst,
                    TokensPerPeriod = o.ConnectsPerSecond,
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                    QueueLimit = 0,
                });
            });
            limiter.OnRejected = async (rejected, cancel) =>
            {
                var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : 1;
                rejected.HttpContext.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
                await Problems.Create(StatusCodes.Status429TooManyRequests, "Too many new connections",
                    $"This address opened too many connections or sessions in a short time: retry after {retryAfter} s, and reuse one connection instead of opening many.")
                    .ExecuteAsync(rejected.HttpContext);
            };
        });
        return services;
    }

    public static WebApplication UseConnectionGuards(this WebApplication app)
    {
        app.UseRateLimiter();
        return app;
    }

    /// <summary>Marks an endpoint that opens a connection: Origin checked, rate-limited per client address.</summary>
    public static TBuilder GuardConnect<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.RequireOrigin().RequireRateLimiting(ConnectPolicy);

    /// <summary>Refuses cross-origin browser requests (403) unless the origin is allow-listed.</summary>
    public static TBuilder RequireOrigin<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter<TBuilder, OriginCheck>();
}
