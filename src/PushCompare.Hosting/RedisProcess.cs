using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace PushCompare.Hosting;

/// <summary>
/// A private <c>redis-server</c> on a free loopback port, in a temporary folder of its own, persisting nothing (no RDB,
/// no AOF); disposing it stops the server and deletes the folder. Never the system's Redis.
/// </summary>
public sealed partial class RedisProcess : IAsyncDisposable
{
    private readonly ChildProcess _child;
    private readonly string _folder;

    private RedisProcess(ChildProcess child, string folder, int port)
    {
        _child = child;
        _folder = folder;
        Port = port;
    }

    public int Port { get; }

    /// <summary>host:port, the form <c>Backplane:Redis</c> takes.</summary>
    public string Address => $"127.0.0.1:{Port}";

    public ChildProcess Child => _child;

    [GeneratedRegex(@"Ready to accept connections")]
    private static partial Regex ReadyLine();

    /// <summary>Whether <c>redis-server</c> is on the PATH (Debian's package installs it in /usr/bin).</summary>
    public static bool IsInstalled() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Any(dir => File.Exists(Path.Combine(dir, "redis-server")));

    public static async Task<RedisProcess> StartAsync(CancellationToken cancel, Action<string>? onLine = null)
    {
        if (!IsInstalled()) throw new ProcessSetupException("redis-server was not found: install it ('apt-get install -y redis-server', which ./test.sh does).");
        var folder = Directory.CreateTempSubdirectory("pushcompare-redis-").FullName;
        // The port is free when asked, but another process may take it before redis-server binds: try a few.
        for (int attempt = 1; ; attempt++)
        {
            int port = FreePort.Next();
            var start = new ProcessStartInfo("redis-server") { WorkingDirectory = folder };
            foreach (var arg in new[] { "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
                         "--dir", folder, "--save", "", "--appendonly", "no", "--daemonize", "no", "--protected-mode", "yes" })
                start.ArgumentList.Add(arg);
            try
            {
                var (child, _) = await ChildProcess.StartAsync($"redis-server (port {port})", start, ReadyLine(), TimeSpan.FromSeconds(20), cancel, onLine);
                return new RedisProcess(child, folder, port);
            }
            catch (ProcessSetupException) when (attempt < 3)
            {
                // Most likely the port was taken in between: another one.
            }
            catch
            {
                Directory.Delete(folder, recursive: true);
                throw;
            }
        }
    }

    /// <summary>Whether a Redis answers PING at host:port within a second.</summary>
    public static async Task<bool> AnswersPingAsync(string hostPort, CancellationToken cancel)
    {
        int colon = hostPort.LastIndexOf(':');
        if (colon < 0 || !int.TryParse(hostPort.AsSpan(colon + 1), out int port)) return false;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            timeout.CancelAfter(TimeSpan.FromSeconds(1));
            using var client = new TcpClient();
            await client.ConnectAsync(hostPort[..colon], port, timeout.Token);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray(), timeout.Token);
            var buffer = new byte[16];
            int read = await stream.ReadAsync(buffer, timeout.Token);
            return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _child.DisposeAsync();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // Left for the system's temp cleaner: nothing in it matters.
        }
    }
}
