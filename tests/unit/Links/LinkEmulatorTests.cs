using System.Diagnostics;
using System.Net.Sockets;
using System.Security.Cryptography;
using PushCompare.Hosting.Links;
using PushCompare.UnitTests.Infrastructure;

namespace PushCompare.UnitTests.Links;

/// <summary>The emulator with real sockets and the real clock: lower bounds only (a loaded machine is only ever slower).</summary>
public class LinkEmulatorTests
{
    private static TimeSpan Since(long start) => Stopwatch.GetElapsedTime(start);

    /// <summary>A client connection as a stream (made before any shutdown: a socket that ended its sending side no longer makes one).</summary>
    private static async Task<NetworkStream> ConnectAsync(LinkEmulator link)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(link.EndPoints[0]);
        return new NetworkStream(socket, ownsSocket: true);
    }

    private static async Task<byte[]> ReadExactlyAsync(NetworkStream stream, int count)
    {
        var buffer = new byte[count];
        await stream.ReadExactlyAsync(buffer).AsTask().Within("the bytes arrive", TimeSpan.FromSeconds(30));
        return buffer;
    }

    /// <summary>Sends everything, then ends the sending side (a FIN), as a client that has said all it will.</summary>
    private static async Task SendAndEndAsync(NetworkStream stream, ReadOnlyMemory<byte> bytes)
    {
        await stream.WriteAsync(bytes);
        stream.Socket.Shutdown(SocketShutdown.Send);
    }

    [Fact]
    public async Task A_round_trip_takes_at_least_the_round_trip_time_and_the_first_one_a_handshake_more()
    {
        await using var echo = TcpPeer.Echo();
        await using var link = LinkEmulator.Start(LinkProfile.Parse(null, roundTrip: "100ms"), echo.EndPoint);

        var start = Stopwatch.GetTimestamp();
        await using var stream = await ConnectAsync(link);
        await stream.WriteAsync("a"u8.ToArray());
        Assert.Equal("a"u8.ToArray(), await ReadExactlyAsync(stream, 1));
        var first = Since(start);

        var again = Stopwatch.GetTimestamp();
        await stream.WriteAsync("b"u8.ToArray());
        Assert.Equal("b"u8.ToArray(), await ReadExactlyAsync(stream, 1));
        var second = Since(again);

        Assert.True(first >= TimeSpan.FromMilliseconds(200), $"the first round trip (with the handshake) took {first.TotalMilliseconds} ms");
        Assert.True(second >= TimeSpan.FromMilliseconds(100), $"a round trip took {second.TotalMilliseconds} ms");
    }

    [Fact]
    public async Task A_new_connection_pays_one_round_trip_before_its_first_byte_goes_through()
    {
        var firstByte = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = new TcpPeer(async socket =>
        {
            var buffer = new byte[1];
            if (await socket.ReceiveAsync(buffer) == 1) firstByte.TrySetResult(Stopwatch.GetTimestamp());
        });
        await using var link = LinkEmulator.Start(LinkProfile.Parse(null, roundTrip: "200ms"), server.EndPoint);

        var start = Stopwatch.GetTimestamp();
        await using var stream = await ConnectAsync(link);
        await stream.WriteAsync("x"u8.ToArray());
        var arrived = await firstByte.Task.WaitAsync(TimeSpan.FromSeconds(10));

        // SYN and SYN-ACK (one round trip), then the byte's own way (half of one).
        var took = Stopwatch.GetElapsedTime(start, arrived);
        Assert.True(took >= TimeSpan.FromMilliseconds(300), $"the first byte arrived {took.TotalMilliseconds} ms after connecting");
    }

    [Fact]
    public async Task Megabytes_arrive_complete_and_in_order_through_five_percent_loss()
    {
        await using var echo = TcpPeer.Echo();
        await using var link = LinkEmulator.Start(LinkProfile.Parse(null, roundTrip: "10ms", loss: "5%", jitter: "5ms"),
            echo.EndPoint, seed: 19);
        var sent = RandomNumberGenerator.GetBytes(2 * 1024 * 1024);

        await using var stream = await ConnectAsync(link);
        var writing = Task.Run(async () =>
        {
            // Several writes of uneven sizes, as an application makes them, then the end of the stream.
            var offset = 0;
            for (; offset < sent.Length / 2;)
            {
                var size = Math.Min(sent.Length - offset, 1 + offset % 50_000);
                await stream.WriteAsync(sent.AsMemory(offset, size));
                offset += size;
            }
            await SendAndEndAsync(stream, sent.AsMemory(offset));
        });
        using var received = new MemoryStream();
        await stream.CopyToAsync(received).Within("the echo ends", TimeSpan.FromSeconds(60));
        await writing;

        Assert.Equal(sent.Length, received.Length);
        Assert.True(sent.AsSpan().SequenceEqual(received.ToArray()), "the bytes came back changed or out of order");
        Assert.True(link.Counters.Losses > 100, $"only {link.Counters.Losses} of {link.Counters.Segments} segments were lost");
    }

    [Theory]
    [InlineData(1, 2_000_000)] // one long transfer
    [InlineData(2, 750_000)] // two connections at once: together they get the link's rate, not the rate each
    public async Task The_bandwidth_cap_holds_over_a_long_transfer_for_all_connections_of_the_link_together(int connections,
        int bytesEach)
    {
        var arrivals = new Arrivals();
        await using var sink = TcpPeer.Sink(arrivals);
        await using var link = LinkEmulator.Start(LinkProfile.Parse(null, roundTrip: "2ms", bandwidth: "8mbit"), sink.EndPoint);
        var streams = new List<NetworkStream>();
        for (var i = 0; i < connections; i++) streams.Add(await ConnectAsync(link));

        var start = Stopwatch.GetTimestamp();
        await Task.WhenAll(streams.Select(stream => SendAndEndAsync(stream, new byte[bytesEach])));
        await Eventually.AssertAsync(() => arrivals.Total == connections * bytesEach, "every byte arrived", TimeSpan.FromSeconds(30));

        // 8 Mbit/s is 1 MB/s of IP packets, so less of payload: never more by any instant than that rate allows.
        foreach (var (at, total) in arrivals.Points)
        {
            var seconds = Stopwatch.GetElapsedTime(start, at).TotalSeconds;
            Assert.True(total <= 1_000_000 * seconds + connections * LinkEmulator.SegmentBytes,
                $"{total} bytes had arrived {seconds:0.000} s after the start, above 1 MB/s");
        }
        Assert.True(Since(start).TotalSeconds >= connections * bytesEach / 1_000_000.0);
        foreach (var stream in streams) await stream.DisposeAsync();
    }

    [Fact]
    public async Task A_refused_upstream_resets_the_client_and_the_link_keeps_accepting()
    {
        var closedPort = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, Hosting.FreePort.Next());
        await using var broken = LinkEmulator.Start(LinkProfile.Parse(null, roundTrip: "10ms"), closedPort);

        for (var attempt = 0; attempt < 2; attempt++)
        {
            var ended = await EndOfAsync(broken);
            Assert.True(ended is 0 or SocketError.ConnectionReset, $"the client saw {ended}");
        }
        Assert.Equal(2, broken.Counters.Connections);
    }

    [Fact]
    public async Task An_end_of_stream_travels_behind_the_last_byte()
    {
        await using var echo = TcpPeer.Echo();
        await using var link = LinkEmulator.Start(LinkProfile.Parse(null, roundTrip: "50ms", bandwidth: "1mbit"), echo.EndPoint);

        await using var stream = await ConnectAsync(link);
        var sent = RandomNumberGenerator.GetBytes(20_000);
        await SendAndEndAsync(stream, sent);

        using var received = new MemoryStream();
        await stream.CopyToAsync(received).Within("the echo ends");
        Assert.Equal(sent, received.ToArray());
    }

    /// <summary>How a new connection through the link ended: 0 for an orderly end of stream, else the socket error (a reset
    /// may come before the connect returns).</summary>
    private static async Task<object> EndOfAsync(LinkEmulator link)
    {
        try
        {
            await using var stream = await ConnectAsync(link);
            return await stream.ReadAsync(new byte[16]).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception e) when ((e as SocketException ?? e.InnerException as SocketException) is { } error)
        {
            return error.SocketErrorCode;
        }
    }
}
