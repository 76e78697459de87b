using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace PushCompare.BenchTests;

/// <summary>
/// A WebSocket push server on a bare socket, so the test decides what shares a TCP write: the 101 response and the
/// first tick leave in ONE write, as they may from any server whose first push is due by the time the client reads.
/// Then a tick every <c>?push=</c> ms (times <paramref name="slower"/>: a server whose timer falls behind) until the
/// client's close frame, which it answers with the same code; with <paramref name="stallAfter"/>, nothing after that tick
/// (a stream that stalls with its connection open).
/// </summary>
internal sealed class EagerPushServer(int slower = 1, long? stallAfter = null) : IAsyncDisposable
{
    private const string WebSocketGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _connections = [];

    private Task? _accepting;

    /// <summary>Starts listening: call before using <see cref="Url"/>.</summary>
    public EagerPushServer Start()
    {
        _listener.Start();
        _accepting = AcceptAsync();
        return this;
    }

    public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>Length of every 101 response this server sends (the accept key has a fixed length).</summary>
    public static int ResponseHeadLength => ResponseHead(new string('x', 28)).Length;

    private static byte[] ResponseHead(string accept) => Encoding.ASCII.GetBytes(
        $"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: {accept}\r\n\r\n");

    private static byte[] TickFrame(long n)
    {
        byte[] text = Encoding.ASCII.GetBytes($"tick {n} {DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}");
        return [0x81, (byte)text.Length, .. text];
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                lock (_connections) _connections.Add(ServeAsync(client));
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Disposed: the listener stopped.
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        var stream = client.GetStream();
        string head = await ReadHeadAsync(stream);
        if (head.StartsWith("GET /api/stats ", StringComparison.Ordinal))
        {
            // The registry the bench reads first: this server offers WebSocket only.
            await stream.WriteAsync(StatsResponse, _stop.Token);
            return;
        }
        var (interval, key) = ParseUpgrade(head);
        string accept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + WebSocketGuid)));
        await stream.WriteAsync((byte[])[.. ResponseHead(accept), .. TickFrame(1)], _stop.Token);

        using var closed = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        var ticking = TickAsync(stream, interval * slower, stallAfter ?? long.MaxValue, closed.Token);
        byte[] closePayload = await ReadUntilCloseAsync(stream);
        await closed.CancelAsync();
        await ticking;
        await stream.WriteAsync((byte[])[0x88, (byte)closePayload.Length, .. closePayload], _stop.Token);
    }

    private static async Task TickAsync(NetworkStream stream, TimeSpan interval, long last, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            for (long n = 2; await timer.WaitForNextTickAsync(stop); n++)
            {
                if (n <= last) await stream.WriteAsync(TickFrame(n), stop);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static readonly byte[] StatsResponse = ResponseWithJson("""{"version":3,"transports":{"websocket":{"label":"WebSocket"},"other":{"label":"Other"}}}""");

    private static byte[] ResponseWithJson(string json) => Encoding.ASCII.GetBytes(
        $"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {json.Length}\r\nConnection: close\r\n\r\n{json}");

    /// <summary>Reads a request head up to its blank line (neither request here has a body).</summary>
    private static async Task<string> ReadHeadAsync(NetworkStream stream)
    {
        var head = new StringBuilder();
        byte[] buffer = new byte[1024];
        while (!head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            int n = await stream.ReadAsync(buffer);
            if (n == 0) throw new IOException("the client left before its request head ended");
            head.Append(Encoding.ASCII.GetString(buffer, 0, n));
        }
        return head.ToString();
    }

    /// <summary>The upgrade request: GET /ws?push=MS with its Sec-WebSocket-Key.</summary>
    private static (TimeSpan Interval, string Key) ParseUpgrade(string head)
    {
        string[] lines = head.Split("\r\n");
        var target = new Uri(new Uri("http://localhost"), lines[0].Split(' ')[1]);
        int ms = int.Parse(System.Web.HttpUtility.ParseQueryString(target.Query)["push"]!, System.Globalization.CultureInfo.InvariantCulture);
        string key = lines.Single(l => l.StartsWith("Sec-WebSocket-Key:", StringComparison.OrdinalIgnoreCase))["Sec-WebSocket-Key:".Length..].Trim();
        return (TimeSpan.FromMilliseconds(ms), key);
    }

    /// <summary>Reads the client's (masked) frames until its close frame and returns that frame's unmasked payload.</summary>
    private static async Task<byte[]> ReadUntilCloseAsync(NetworkStream stream)
    {
        while (true)
        {
            byte[] header = await ReadExactlyAsync(stream, 2);
            long length = header[1] & 0x7F;
            if (length == 126) length = System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(await ReadExactlyAsync(stream, 2));
            else if (length == 127) length = (long)System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(await ReadExactlyAsync(stream, 8));
            byte[] mask = (header[1] & 0x80) != 0 ? await ReadExactlyAsync(stream, 4) : [0, 0, 0, 0];
            byte[] payload = await ReadExactlyAsync(stream, (int)length);
            for (int i = 0; i < payload.Length; i++) payload[i] ^= mask[i % 4];
            if ((header[0] & 0x0F) == 8) return payload;
        }
    }

    private static async Task<byte[]> ReadExactlyAsync(NetworkStream stream, int count)
    {
        byte[] bytes = new byte[count];
        await stream.ReadExactlyAsync(bytes);
        return bytes;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        if (_accepting is not null) await _accepting;
        Task[] connections;
        lock (_connections) connections = [.. _connections];
        try
        {
            await Task.WhenAll(connections);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or SocketException)
        {
            // A connection the bench aborted; the test's own assertions say whether that was wrong.
        }
        _stop.Dispose();
    }
}
