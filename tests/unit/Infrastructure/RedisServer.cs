using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PushCompare.UnitTests.Infrastructure;

/// <summary>
/// A redis-server of the tests' own, on a free loopback port in a temporary folder, never the system's (./test.sh
/// installs the Debian package). No persistence unless a test stops it with <see cref="StopAsync"/> (SHUTDOWN SAVE),
/// which keeps its data for <see cref="StartAsync"/> on the same port, as a restarted production Redis would.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private const string Executable = "/usr/bin/redis-server";
    private static readonly Lazy<Task<RedisServer>> SharedServer = new(async () =>
    {
        var server = new RedisServer();
        await server.StartAsync();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.Kill();
        return server;
    });
    private static int _prefixes;

    private readonly string _dir = Directory.CreateTempSubdirectory("pushcompare-redis-").FullName;
    private Process? _process;

    public int Port { get; } = FreePort();

    /// <summary>One server for the whole test run; each app keeps to its own key prefix (<see cref="NewPrefix"/>).</summary>
    public static Task<RedisServer> SharedAsync() => SharedServer.Value;

    /// <summary>A key prefix no other app of this run uses, so apps sharing one server never see each other's sessions.</summary>
    public static string NewPrefix() => $"t{Interlocked.Increment(ref _prefixes)}:";

    /// <summary>The StackExchange.Redis configuration string; short timeouts so an outage answers within the test's patience.</summary>
    public string Configuration => $"127.0.0.1:{Port},connectTimeout=2000,syncTimeout=2000,asyncTimeout=2000,connectRetry=1";

    public static async Task<RedisServer> StartNewAsync()
    {
        var server = new RedisServer();
        await server.StartAsync();
        return server;
    }

    public async Task StartAsync()
    {
        if (!File.Exists(Executable))
            throw new InvalidOperationException($"{Executable} is missing: run ./test.sh once (it installs redis-server), or apt-get install -y redis-server.");
        var start = new ProcessStartInfo(Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = _dir,
        };
        foreach (var arg in new[] { "--port", Port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", _dir,
                     "--daemonize", "no", "--protected-mode", "yes", "--loglevel", "warning" })
            start.ArgumentList.Add(arg);
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        await Eventually.AssertAsync(async () => await CommandAsync("PING") == "+PONG", $"redis-server answers PING on port {Port}");
    }

    /// <summary>Stops the server the way an operator restarts it: its data saved to the folder, the port closed.</summary>
    public async Task StopAsync()
    {
        try
        {
            await CommandAsync("SHUTDOWN SAVE");
        }
        catch (IOException)
        {
            // The server closes the connection as it exits.
        }
        await _process!.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>Freezes the process (SIGSTOP): connections stay open, commands time out.</summary>
    public void Pause() => Signal("STOP");

    public void Resume() => Signal("CONT");

    private void Signal(string signal) => Process.Start("kill", ["-" + signal, _process!.Id.ToString()])!.WaitForExit();

    /// <summary>One inline command over a plain socket (no client library, so it works whatever the app's client does).</summary>
    public async Task<string?> CommandAsync(string command)
    {
        using var client = new TcpClient();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, Port, timeout.Token);
        }
        catch (SocketException)
        {
            return null;
        }
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(command + "\r\n"), timeout.Token);
        var buffer = new byte[64 * 1024];
        int read = await stream.ReadAsync(buffer, timeout.Token);
        return read == 0 ? null : Encoding.UTF8.GetString(buffer, 0, read).TrimEnd('\r', '\n');
    }

    private void Kill()
    {
        try
        {
            if (_process is { HasExited: false }) _process.Kill();
            Directory.Delete(_dir, recursive: true);
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            // Already gone.
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        Kill();
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
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

    /// <summary>Evidence that a poll is held or a stream open for the session, on any instance: its hash in Redis marks a reader.</summary>
    public Task WaitUntilReadAsync(string id) => Eventually.AssertAsync(async () =>
        (await redis.CommandAsync($"HGET {prefix}s:{id} ractive"))?.EndsWith("\n1", StringComparison.Ordinal) == true,
        $"a reader is attached to session {id}");

    public HttpClient CreateWireClient() => new(new SocketsHttpHandler { MaxConnectionsPerServer = 8 }) { BaseAddress = KestrelAddress };
}
