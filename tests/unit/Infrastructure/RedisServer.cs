using PushCompare.Hosting;

namespace PushCompare.UnitTests.Infrastructure;

/// <summary>
/// A private redis-server for a test class (port chosen free, temporary folder, nothing persisted), never the
/// system's: <see cref="RedisProcess"/> as an xunit fixture. <see cref="Address"/> is what <c>Backplane:Redis</c> takes.
/// </summary>
public sealed class RedisServer : IAsyncLifetime
{
    private RedisProcess? _redis;

    public string Address => _redis?.Address ?? throw new InvalidOperationException("The Redis fixture has not started.");

    public async Task InitializeAsync() => _redis = await RedisProcess.StartAsync(CancellationToken.None);

    public async Task DisposeAsync()
    {
        if (_redis is not null) await _redis.DisposeAsync();
    }
}
