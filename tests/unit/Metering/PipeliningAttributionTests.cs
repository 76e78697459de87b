using System.Net.Sockets;
using System.Text;

namespace PushCompare.UnitTests.Metering;

/// <summary>
/// Two requests in ONE TCP write (HTTP/1.1 pipelining): the second request's bytes arrive with the first, yet count
/// only when Kestrel consumes them for the second request, so each transport gets exactly its own bytes.
/// </summary>
public sealed class PipeliningAttributionTests : IAsyncLifetime
{
    private readonly MeteredApp _app = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task Pipelined_requests_of_two_transports_split_exactly_at_the_request_boundary()
    {
        string host = $"{_app.BaseAddress.Host}:{_app.BaseAddress.Port}";
        byte[] longPoll = Encoding.ASCII.GetBytes($"POST /poll HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\n\r\n");
        byte[] shortPoll = Encoding.ASCII.GetBytes($"POST /poll?wait=0 HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nX-Pad: {new string('p', 300)}\r\n\r\n");

        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(_app.BaseAddress.Host, _app.BaseAddress.Port);
        await socket.SendAsync(longPoll.Concat(shortPoll).ToArray(), SocketFlags.None);

        // Both answers are 201 with a chunked JSON body; each ends with the last-chunk "0\r\n\r\n".
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var received = new List<byte>();
        var buffer = new byte[4096];
        while (Ends(received).Count < 2)
        {
            int n = await socket.ReceiveAsync(buffer, SocketFlags.None, cancel.Token);
            Assert.NotEqual(0, n);
            received.AddRange(buffer.AsSpan(0, n).ToArray());
        }
        int firstResponse = Ends(received)[0];
        Assert.StartsWith("HTTP/1.1 201", Encoding.ASCII.GetString(received.ToArray(), firstResponse, 12));

        var transports = (await _app.StatsAsync())["transports"]!;
        Assert.Equal(longPoll.Length, transports["longpoll"]!["bytesIn"]!.GetValue<long>());
        Assert.Equal(shortPoll.Length, transports["shortpoll"]!["bytesIn"]!.GetValue<long>());
        Assert.Equal(firstResponse, transports["longpoll"]!["bytesOut"]!.GetValue<long>());
        Assert.Equal(received.Count - firstResponse, transports["shortpoll"]!["bytesOut"]!.GetValue<long>());
    }

    // Offsets just past each chunked body's terminator.
    private static List<int> Ends(List<byte> data)
    {
        var ends = new List<int>();
        byte[] bytes = data.ToArray();
        ReadOnlySpan<byte> terminator = "\r\n0\r\n\r\n"u8;
        int from = 0;
        while (from < bytes.Length)
        {
            int at = bytes.AsSpan(from).IndexOf(terminator);
            if (at < 0) break;
            from += at + terminator.Length;
            ends.Add(from);
        }
        return ends;
    }
}
