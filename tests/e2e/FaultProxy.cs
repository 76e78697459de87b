using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace PushCompare.E2ETests;

/// <summary>What the proxy does with a WebSocket upgrade request.</summary>
public enum UpgradeFault
{
    /// <summary>Passes it to the app.</summary>
    None,
    /// <summary>Answers 403 itself, as a proxy that does not allow <c>Upgrade</c>.</summary>
    Refuse,
    /// <summary>Answers 101 itself (a valid handshake) and then carries nothing, as a proxy that accepts and stalls.</summary>
    Stall,
    /// <summary>Resets the TCP connection (RST), as an antivirus or firewall that kills it.</summary>
    Reset,
}

/// <summary>The kind of traffic a proxied connection carries, for <see cref="FaultProxy.Kill"/>.</summary>
public enum Carried { Http, WebSocket, Stream }

/// <summary>
/// A test double in front of the app: a loopback HTTP/1.1 proxy that reads each request head and, as told (and changed
/// at any moment), refuses, stalls or resets WebSocket upgrades, holds back the response bytes of SSE streams (as a
/// buffering proxy does), and kills the connections that carry a kind of traffic. Everything else passes unchanged.
/// </summary>
public sealed class FaultProxy : IAsyncDisposable
{
    private static readonly byte[] HeadEnd = "\r\n\r\n"u8.ToArray();
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _upstream;
    private readonly ConcurrentDictionary<Connection, byte> _open = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private volatile UpgradeFault _upgrades;
    private volatile bool _holdStreams;

    public FaultProxy(Uri upstream)
    {
        _upstream = new IPEndPoint(IPAddress.Parse(upstream.Host), upstream.Port);
        _listener.Start();
        BaseUrl = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");
        _accepting = AcceptAsync();
    }

    /// <summary>The proxy's address: a page loaded from here sends everything through it.</summary>
    public Uri BaseUrl { get; }

    public UpgradeFault Upgrades { get => _upgrades; set => _upgrades = value; }

    /// <summary>While set, a <c>GET /sse/{id}</c> stream gets nothing back: its response bytes are swallowed.</summary>
    public bool HoldStreams { get => _holdStreams; set => _holdStreams = value; }

    /// <summary>WebSocket upgrade requests seen, whatever was done with them.</summary>
    public int UpgradesSeen => _upgradesSeen;
    private int _upgradesSeen;

    /// <summary>Resets every open connection that carries <paramref name="kind"/>; answers how many.</summary>
    public int Kill(Carried kind)
    {
        int killed = 0;
        foreach (var connection in _open.Keys.Where(c => c.Kind == kind))
        {
            connection.Reset();
            killed++;
        }
        return killed;
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception) when (_stop.IsCancellationRequested) { return; }
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        var upstream = new TcpClient();
        var connection = new Connection(client, upstream);
        _open[connection] = 0;
        try
        {
            await upstream.ConnectAsync(_upstream, _stop.Token);
            var fromClient = client.GetStream();
            var toServer = upstream.GetStream();
            var pumpDown = PumpDownAsync(connection);
            var buffer = new List<byte>();
            var chunk = new byte[16 * 1024];
            while (true)
            {
                int end;
                while ((end = IndexOf(buffer, HeadEnd)) < 0)
                {
                    int read = await fromClient.ReadAsync(chunk, _stop.Token);
                    if (read == 0) return;
                    buffer.AddRange(chunk.AsSpan(0, read));
                }
                var head = buffer.GetRange(0, end + HeadEnd.Length).ToArray();
                buffer.RemoveRange(0, head.Length);
                var text = Encoding.ASCII.GetString(head);
                var lines = text.Split("\r\n");
                var parts = lines[0].Split(' ');
                var headers = lines.Skip(1).Where(l => l.Contains(':'))
                    .ToLookup(l => l[..l.IndexOf(':')].Trim(), l => l[(l.IndexOf(':') + 1)..].Trim(), StringComparer.OrdinalIgnoreCase);

                if (headers["Upgrade"].Any(v => v.Equals("websocket", StringComparison.OrdinalIgnoreCase)))
                {
                    Interlocked.Increment(ref _upgradesSeen);
                    connection.Kind = Carried.WebSocket;
                    switch (_upgrades)
                    {
                        case UpgradeFault.Refuse:
                            await fromClient.WriteAsync("HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 24\r\nConnection: close\r\n\r\nUpgrade is not allowed.\n"u8.ToArray(), _stop.Token);
                            connection.Close();
                            return;
                        case UpgradeFault.Reset:
                            connection.Reset();
                            return;
                        case UpgradeFault.Stall:
                            var accept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(headers["Sec-WebSocket-Key"].First() + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
                            await fromClient.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"), _stop.Token);
                            while (await fromClient.ReadAsync(chunk, _stop.Token) > 0) { } // says nothing, ever
                            return;
                    }
                    await toServer.WriteAsync(head, _stop.Token);
                    await toServer.WriteAsync(buffer.ToArray(), _stop.Token);
                    await fromClient.CopyToAsync(toServer, _stop.Token); // frames from now on
                    return;
                }

                bool stream = parts[0] == "GET" && parts[1].StartsWith("/sse/", StringComparison.Ordinal);
                if (stream)
                {
                    connection.Kind = Carried.Stream;
                    if (_holdStreams) connection.Swallow = true;
                }
                await toServer.WriteAsync(head, _stop.Token);
                long length = headers["Content-Length"].Select(long.Parse).FirstOrDefault();
                while (length > 0)
                {
                    if (buffer.Count == 0)
                    {
                        int read = await fromClient.ReadAsync(chunk, _stop.Token);
                        if (read == 0) return;
                        buffer.AddRange(chunk.AsSpan(0, read));
                    }
                    int take = (int)Math.Min(length, buffer.Count);
                    await toServer.WriteAsync(buffer.GetRange(0, take).ToArray(), _stop.Token);
                    buffer.RemoveRange(0, take);
                    length -= take;
                }
                _ = pumpDown;
            }
        }
        catch (Exception) when (connection.Closed || _stop.IsCancellationRequested) { }
        catch (IOException) { }
        catch (SocketException) { }
        finally
        {
            connection.Close();
            _open.TryRemove(connection, out _);
        }
    }

    // The server's bytes go back as they come, unless the connection carries a stream being held back.
    private async Task PumpDownAsync(Connection connection)
    {
        var chunk = new byte[16 * 1024];
        try
        {
            var fromServer = connection.Upstream.GetStream();
            var toClient = connection.Client.GetStream();
            int read;
            while ((read = await fromServer.ReadAsync(chunk, _stop.Token)) > 0)
            {
                if (!connection.Swallow) await toClient.WriteAsync(chunk.AsMemory(0, read), _stop.Token);
            }
        }
        catch (Exception) { }
        finally
        {
            connection.Close();
        }
    }

    private static int IndexOf(List<byte> buffer, byte[] pattern)
    {
        for (int i = 0; i + pattern.Length <= buffer.Count; i++)
        {
            int j = 0;
            while (j < pattern.Length && buffer[i + j] == pattern[j]) j++;
            if (j == pattern.Length) return i;
        }
        return -1;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        foreach (var connection in _open.Keys) connection.Close();
        await _accepting;
        _stop.Dispose();
    }

    private sealed class Connection(TcpClient client, TcpClient upstream)
    {
        public TcpClient Client { get; } = client;
        public TcpClient Upstream { get; } = upstream;
        public volatile Carried Kind = Carried.Http;
        public volatile bool Swallow;
        public volatile bool Closed;

        /// <summary>An RST to the browser: the connection dies as a network fault kills it, not with a clean end.</summary>
        public void Reset()
        {
            Closed = true;
            try { Client.Client.LingerState = new LingerOption(true, 0); } catch (ObjectDisposedException) { }
            Client.Dispose();
            Upstream.Dispose();
        }

        public void Close()
        {
            Closed = true;
            Client.Dispose();
            Upstream.Dispose();
        }
    }
}
