using System.Globalization;
using System.Net;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using PushCompare.Web.Http;

namespace PushCompare.Web.Security;

/// <summary>A guard an endpoint declares in its metadata; <see cref="ConnectionGuardMiddleware"/> applies it.</summary>
internal sealed class ConnectionGuard
{
    public static readonly ConnectionGuard Origin = new();
    public static readonly ConnectionGuard ConnectLimit = new();

    private ConnectionGuard()
    {
    }
}

/// <summary>
/// Applies the guards of the endpoint routing chose, synchronously: a request that passes goes straight on, with no
/// async frame of its own. That matters because a WebSocket request never returns while its socket is open; an
/// awaiting middleware (the framework's rate limiter, an endpoint filter) would keep its state alive for every idle
/// connection (docs/benchmarks.md, memory per idle connection).
/// </summary>
internal sealed class ConnectionGuardMiddleware(RequestDelegate next, OriginCheck origins, ConnectLimiter limiter)
{
    public Task InvokeAsync(HttpContext context)
    {
        var metadata = context.GetEndpoint()?.Metadata;
        if (metadata is null) return next(context);
        foreach (var guard in metadata.GetOrderedMetadata<ConnectionGuard>())
        {
            if (ReferenceEquals(guard, ConnectionGuard.Origin) && !origins.IsAllowed(context.Request, out var refusal))
                return refusal.ExecuteAsync(context);
            if (ReferenceEquals(guard, ConnectionGuard.ConnectLimit) && !limiter.TryAdmit(context, out var tooMany))
                return tooMany.ExecuteAsync(context);
        }
        return next(context);
    }
}

/// <summary>A token bucket per client address for new WebSocket connections and new sessions (Security:ConnectBurst, ConnectsPerSecond).</summary>
internal sealed class ConnectLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<HttpContext> _limiter;

    public ConnectLimiter(IOptions<SecurityOptions> options)
    {
        var o = options.Value;
        _limiter = PartitionedRateLimiter.Create<HttpContext, IPAddress>(context =>
            RateLimitPartition.GetTokenBucketLimiter(context.Connection.RemoteIpAddress ?? IPAddress.None, _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = o.ConnectBurst,
                TokensPerPeriod = o.ConnectsPerSecond,
                ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                QueueLimit = 0,
            }));
    }

    /// <summary>Takes one token of the request's address; false with the 429 (and its Retry-After) when none is left.</summary>
    public bool TryAdmit(HttpContext context, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out IResult? problem)
    {
        using var lease = _limiter.AttemptAcquire(context);
        problem = null;
        if (lease.IsAcquired) return true;
        int retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : 1;
        context.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
        problem = Problems.Create(StatusCodes.Status429TooManyRequests, "Too many new connections",
            $"This address opened too many connections or sessions in a short time: retry after {retryAfter} s, and reuse one connection instead of opening many.");
        return false;
    }

    public void Dispose() => _limiter.Dispose();
}
