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
        services.AddSingleton<AppOrigins>();
        services.AddSingleton<OriginPolicy>();
        services.AddSingleton<OriginCheck>();
        services.AddCors();
        services.AddSingleton<Microsoft.AspNetCore.Cors.Infrastructure.ICorsPolicyProvider, CrossOriginPolicyProvider>();
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

    /// <summary>CORS first (a preflight is answered there and never spends a connect token), then the rate limits.</summary>
    public static WebApplication UseConnectionGuards(this WebApplication app)
    {
        // Only where an endpoint asks for CORS: the CORS middleware awaits the rest of the pipeline, and a WebSocket
        // (which CORS does not cover) would hold that frame for as long as it is open.
        app.UseWhen(context => context.GetEndpoint()?.Metadata.GetMetadata<Microsoft.AspNetCore.Cors.Infrastructure.ICorsMetadata>() is not null,
            branch => branch.UseCors());
        app.UseRateLimiter();
        return app;
    }

    /// <summary>Marks an endpoint that opens a connection: Origin checked, rate-limited per client address.</summary>
    public static TBuilder GuardConnect<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.CheckOrigin().RequireRateLimiting(ConnectPolicy);

    /// <summary>
    /// Refuses cross-origin browser requests (403) unless <see cref="OriginPolicy"/> allows the origin, and answers
    /// the allowed ones' CORS (preflight included): one rule for both.
    /// </summary>
    public static TBuilder RequireOrigin<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.CheckOrigin().RequireCors(CrossOriginPolicyProvider.PolicyName);

    // The Origin check alone: what a WebSocket endpoint needs (browsers apply no CORS to WebSockets).
    private static TBuilder CheckOrigin<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter<TBuilder, OriginCheck>();

    public const string OriginsPath = "/api/origins";

    /// <summary>
    /// <c>GET /api/origins</c>: the app's own origins and the protocol this request came over, so the page can find
    /// its other origin (and check it can reach it) before a two-protocol comparison.
    /// </summary>
    public static RouteHandlerBuilder MapOrigins(this IEndpointRouteBuilder app) =>
        app.MapGet(OriginsPath, (HttpRequest request, AppOrigins origins) =>
            TypedResults.Ok(new OriginsAnswer([.. origins.Own], request.Protocol, request.IsHttps))).WithName("GetOrigins").RequireOrigin();
}

/// <summary>The answer of <c>GET /api/origins</c>.</summary>
public sealed record OriginsAnswer(string[] Origins, string Protocol, bool Tls);
