using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using PushCompare.Web.Messaging;
using PushCompare.Metering;
using PushCompare.Web.Metering;
using PushCompare.Web.Sessions;
using PushCompare.Web.Topics;
using StackExchange.Redis;
using PushCompare.Serving;

namespace PushCompare.Web.Backplane;

/// <summary>
/// Where the polling and SSE sessions and the broadcast topics live. In this process by default (<c>dotnet run</c> needs
/// nothing); with <c>Backplane:Redis</c> set, in Redis, shared by every instance (docs/protocol.md, "Redis"): the store,
/// its upkeep, the topic bus that spans instances, the summed per-session figures and the "redis" readiness check.
/// </summary>
public static class BackplaneExtensions
{
    public static IServiceCollection AddBackplane(this IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection(BackplaneOptions.Section);
        return string.IsNullOrWhiteSpace(section[nameof(BackplaneOptions.Redis)]) ? services.AddInMemoryBackplane() : services.AddRedisBackplane(section);
    }

    private static IServiceCollection AddInMemoryBackplane(this IServiceCollection services)
    {
        services.AddSingleton<SessionIds>();
        services.AddSingleton<SessionStore>();
        services.AddSingleton<ISessionStore>(sp => sp.GetRequiredService<SessionStore>());
        services.AddHostedService<SessionSweeper>();
        services.AddSingleton<ITopicBus, InMemoryTopicBus>();
        return services;
    }

    private static IServiceCollection AddRedisBackplane(this IServiceCollection services, IConfigurationSection section)
    {
        services.AddValidatedOptions<BackplaneOptions, BackplaneOptionsValidator>(section);
        services.AddSingleton<IConnectionMultiplexer>(sp => Connect(sp.GetRequiredService<IOptions<BackplaneOptions>>().Value.Redis!));
        services.AddSingleton<RedisSessionStore>();
        services.AddSingleton<ISessionStore>(sp => sp.GetRequiredService<RedisSessionStore>());
        services.AddHostedService<RedisSessionUpkeep>();
        services.AddSingleton<ITopicBus, RedisTopicBus>();
        services.AddSingleton<RedisFigures>();
        services.AddSingleton<ISharedSessionFigures>(sp => sp.GetRequiredService<RedisFigures>());
        services.AddHostedService(sp => sp.GetRequiredService<RedisFigures>());
        services.AddHealthChecks().AddCheck<RedisHealthCheck>("redis", tags: ["ready"]);
        return services;
    }

    // Starts even when Redis is down (AbortOnConnectFail off: it keeps reconnecting by itself), and fails a command at
    // once while disconnected (FailFast) instead of queueing it: the client gets 503 + Retry-After, not a stalled request.
    // Replies are read on the .NET thread pool, not the client's own dedicated threads: one thread hop less per reply,
    // a third less CPU per polling or SSE message in each instance (docs/benchmarks.md, "Scale-out cost, third pass").
    // The dedicated threads guard against a starved thread pool, which this app, asynchronous throughout, does not cause.
    private static ConnectionMultiplexer Connect(string configuration)
    {
        var options = ConfigurationOptions.Parse(configuration);
        options.AbortOnConnectFail = false;
        options.BacklogPolicy = BacklogPolicy.FailFast;
        options.ClientName ??= "pushcompare";
        options.SocketManager = SocketManager.ThreadPool;
        return ConnectionMultiplexer.Connect(options);
    }
}

/// <summary>Ready only while Redis answers a PING: an instance that cannot reach the sessions should get no traffic.</summary>
internal sealed class RedisHealthCheck(IConnectionMultiplexer redis) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var rtt = await redis.GetDatabase().PingAsync();
            return HealthCheckResult.Healthy($"Redis answered in {rtt.TotalMilliseconds:0.0} ms.");
        }
        catch (Exception ex) when (RedisSessionStore.IsOutage(ex))
        {
            return HealthCheckResult.Unhealthy("Redis (the session store) is unreachable: sessions answer 503 until it is back.", ex);
        }
    }
}
