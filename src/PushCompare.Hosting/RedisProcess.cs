using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace PushCompare.Hosting;

/// <summary>
/// A private <c>redis-server</c> on a free loopback port, in a temporary folder of its own, persisting nothing (no RDB,
/// no AOF) unless stopped with <see cref="StopAsync"/>; disposing it stops the server and deletes the folder. Never the
/// system's Redis. The one launcher of the cluster command, the bench and the tests (which also stop, restart and
/// freeze it to make outages).
/// </summary>
public sealed partial class RedisProcess : IAsyncDisposable
{
    private readonly string _folder;
    private readonly Action<string>? _onLine;
    private ChildProcess _child;

    private RedisProcess(ChildProcess child, string folder, int port, Action<string>? onLine)
    {
        _child = child;
        _folder = folder;
        _onLine = onLine;
        Port = port;
    }

    public int Port { get; }

    /// <summary>host:port, the form <c>Backplane:Redis</c> takes.</summary>
    public string Address => $"127.0.0.1:{Port}";

    /// <summary>The running redis-server (another one after <see cref="StartAgainAsync"/>).</summary>
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
            try
            {
                return new RedisProcess(await LaunchAsync(folder, port, cancel, onLine), folder, port, onLine);
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

    private static async Task<ChildProcess> LaunchAsync(string folder, int port, CancellationToken cancel, Action<string>? onLine)
    {
        var start = new ProcessStartInfo("redis-server") { WorkingDirectory = folder };
        foreach (var arg in new[] { "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
                     "--dir", folder, "--save", "", "--appendonly", "no", "--daemonize", "no", "--protected-mode", "yes" })
            start.ArgumentList.Add(arg);
        var (child, _) = await ChildProcess.StartAsync($"redis-server (port {port})", start, ReadyLine(), TimeSpan.FromSeconds(20), cancel, onLine);
        return child;
    }

    /// <summary>
    /// Stops the server the way an operator restarts one: <c>SHUTDOWN SAVE</c> writes its data to its folder, then it
    /// exits and its port closes. <see cref="StartAgainAsync"/> brings it back with that data.
    /// </summary>
    public async Task StopAsync(CancellationToken cancel = default)
    {
        await CommandAsync("SHUTDOWN SAVE", cancel); // no answer: it closes the connection as it exits
        await _child.WaitForExitAsync(cancel).WaitAsync(TimeSpan.FromSeconds(10), cancel);
    }

    /// <summary>After <see cref="StopAsync"/>: the server again, on the same port and folder, with what it saved (a restarted production Redis).</summary>
    public async Task StartAgainAsync(CancellationToken cancel = default)
    {
        if (!_child.HasExited) throw new InvalidOperationException($"redis-server on port {Port} is still running: stop it first.");
        await _child.DisposeAsync();
        _child = await LaunchAsync(_folder, Port, cancel, _onLine);
    }

    /// <summary>Freezes the server (SIGSTOP): its connections stay open and commands time out, until <see cref="Resume"/>.</summary>
    public void Pause() => _child.Freeze();

    public void Resume() => _child.Thaw();

    /// <summary>SIGKILL and the folder removed, at once: for a process-exit handler, which cannot await <see cref="DisposeAsync"/>.</summary>
    public void Kill()
    {
        try
        {
            if (!_child.HasExited) _child.Kill();
            Directory.Delete(_folder, recursive: true);
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            // Already gone, or still being released: the system's temp cleaner takes the folder.
        }
    }

    /// <summary>One inline command to this server; see <see cref="CommandAsync(string, string, TimeSpan, CancellationToken)"/>.</summary>
    public Task<string?> CommandAsync(string command, CancellationToken cancel = default) =>
        CommandAsync(Address, command, TimeSpan.FromSeconds(5), cancel);

    /// <summary>
    /// One inline command (<c>PING</c>, <c>HGET key field</c>) over a plain socket, no client library: the first chunk of
    /// the raw RESP reply without its final CRLF (enough for the short replies it is used for), or null when nothing
    /// listens at host:port or the connection closed without a reply. Past <paramref name="timeout"/> it throws
    /// <see cref="OperationCanceledException"/> (a frozen server).
    /// </summary>
    public static async Task<string?> CommandAsync(string hostPort, string command, TimeSpan timeout, CancellationToken cancel)
    {
        int colon = hostPort.LastIndexOf(':');
        if (colon < 0 || !int.TryParse(hostPort.AsSpan(colon + 1), out int port)) throw new ArgumentException($"'{hostPort}' is not host:port.", nameof(hostPort));
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        deadline.CancelAfter(timeout);
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(hostPort[..colon], port, deadline.Token);
            var stream = client.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes(command + "\r\n"), deadline.Token);
            var buffer = new byte[64 * 1024];
            int read = await stream.ReadAsync(buffer, deadline.Token);
            return read == 0 ? null : Encoding.UTF8.GetString(buffer, 0, read).TrimEnd('\r', '\n');
        }
        catch (Exception ex) when (ex is SocketException or IOException)
        {
            return null; // not listening, or it closed the connection (SHUTDOWN does) before a reply
        }
    }

    /// <summary>Whether a Redis answers PING at host:port within a second.</summary>
    public static async Task<bool> AnswersPingAsync(string hostPort, CancellationToken cancel)
    {
        try
        {
            return (await CommandAsync(hostPort, "PING", TimeSpan.FromSeconds(1), cancel))?.StartsWith("+PONG", StringComparison.Ordinal) == true;
        }
        catch (Exception ex) when (ex is OperationCanceledException or ArgumentException)
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
