using PushCompare.Hosting;

namespace PushCompare.UnitTests.Infrastructure;

/// <summary>
/// A redis-server of the tests' own (<see cref="RedisProcess"/>: a free loopback port, a temporary folder, never the
/// system's; ./test.sh installs the Debian package), with what the tests add: one server shared by the run, key
/// prefixes, short client timeouts. No persistence unless a test stops it with <see cref="StopAsync"/> (SHUTDOWN SAVE),
/// which keeps its data for <see cref="StartAsync"/> on the same port, as a restarted production Redis would.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private static readonly Lazy<Task<RedisServer>> SharedServer = new(async () =>
    {
        var server = await StartNewAsync();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server._process.Kill();
        return server;
    });
    private static int _prefixes;

    private readonly RedisProcess _process;

    private RedisServer(RedisProcess process) => _process = process;

    public int Port => _process.Port;

    /// <summary>One server for the whole test run; each app keeps to its own key prefix (<see cref="NewPrefix"/>).</summary>
    public static Task<RedisServer> SharedAsync() => SharedServer.Value;

    /// <summary>A key prefix no other app of this run uses, so apps sharing one server never see each other's sessions.</summary>
    public static string NewPrefix() => $"t{Interlocked.Increment(ref _prefixes)}:";

    /// <summary>The StackExchange.Redis configuration string; short timeouts so an outage answers within the test's patience.</summary>
    public string Configuration => ConfigurationWithTimeout(2000);

    /// <summary>The same with client timeouts of <paramref name="ms"/> (a cluster run on a starved box needs more than 2 s).</summary>
    public string ConfigurationWithTimeout(int ms) => _process.Address + ClientOptions(ms);

    /// <summary>The client options every test Redis configuration ends with: one connect try, <paramref name="ms"/> per call.</summary>
    internal static string ClientOptions(int ms) => $",connectTimeout=2000,syncTimeout={ms},asyncTimeout={ms},connectRetry=1";

    public static async Task<RedisServer> StartNewAsync() => new(await RedisProcess.StartAsync(CancellationToken.None));

    /// <summary>Starts it again after <see cref="StopAsync"/>, on the same port, with the data it saved.</summary>
    public Task StartAsync() => _process.StartAgainAsync();

    /// <summary>Stops the server the way an operator restarts it: its data saved to the folder, the port closed.</summary>
    public Task StopAsync() => _process.StopAsync();

    /// <summary>Freezes the process (SIGSTOP): connections stay open, commands time out.</summary>
    public void Pause() => _process.Pause();

    public void Resume() => _process.Resume();

    /// <summary>One inline command over a plain socket (no client library, so it works whatever the app's client does).</summary>
    public Task<string?> CommandAsync(string command) => _process.CommandAsync(command);

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}

/// <summary>The app on real Kestrel with its sessions on <paramref name="redis"/> under <paramref name="prefix"/>; two of these with one prefix are two instances of one deployment.</summary>
public class RedisApp(RedisServer redis, string prefix, params (string Key, string Value)[] settings)
    : AppFactory([("Backplane:Redis", redis.Configuration), ("Backplane:KeyPrefix", prefix), .. settings])
{
    public RedisServer Redis => redis;

    public string Prefix => prefix;

    public RedisApp Start()
    {
        StartOnKestrel();
        return this;
    }

    /// <summary>Where the app keeps session <paramref name="id"/> in Redis: one hash, the id in braces its cluster hash tag.</summary>
    public string SessionKey(string id) => $"{prefix}s:{{{id}}}";

    /// <summary>Evidence that a poll is held or a stream open for the session, on any instance: its hash in Redis marks a reader.</summary>
    public Task WaitUntilReadAsync(string id) => Eventually.AssertAsync(async () =>
        (await redis.CommandAsync($"HGET {SessionKey(id)} ractive"))?.EndsWith("\n1", StringComparison.Ordinal) == true,
        $"a reader is attached to session {id}");

    public HttpClient CreateWireClient() => new(new SocketsHttpHandler { MaxConnectionsPerServer = 8 }) { BaseAddress = KestrelAddress };
}
