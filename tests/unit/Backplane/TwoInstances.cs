using PushCompare.UnitTests.Infrastructure;

namespace PushCompare.UnitTests.Backplane;

/// <summary>
/// Two instances of one deployment: two Kestrel apps on port 0 sharing one Redis under one key prefix, with the
/// settings the fixture names.
/// </summary>
public abstract class InstancePair((string Key, string Value)[] settings) : IAsyncLifetime
{
    public RedisApp A { get; private set; } = null!;
    public RedisApp B { get; private set; } = null!;
    public HttpClient HttpA { get; private set; } = null!;
    public HttpClient HttpB { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var redis = await RedisServer.SharedAsync();
        string prefix = RedisServer.NewPrefix();
        A = new RedisApp(redis, prefix, settings).Start();
        B = new RedisApp(redis, prefix, settings).Start();
        HttpA = A.CreateWireClient();
        HttpB = B.CreateWireClient();
    }

    public async Task DisposeAsync()
    {
        HttpA.Dispose();
        HttpB.Dispose();
        await A.DisposeAsync();
        await B.DisposeAsync();
    }
}

/// <summary>
/// Polls are held 30 s and heartbeats come every 30 s, so an answer within a test's deadline was caused by a wake-up,
/// not a timer.
/// </summary>
public sealed class TwoInstances() : InstancePair([("LongPolling:PollTimeout", "00:00:30"), ("ServerSentEvents:HeartbeatInterval", "00:00:30"),
    ("Backplane:FiguresInterval", "00:00:00.100")])
{
    /// <summary>Evidence that some instance holds a reader for the session: the session's hash in Redis says so.</summary>
    public Task WaitUntilHeldAsync(string id) => A.WaitUntilReadAsync(id);
}
