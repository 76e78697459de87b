using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace PushCompare.Hosting.Links;

/// <summary>
/// A TCP proxy that makes loopback behave like a network link (this kernel has no netem): every connection accepted on
/// <see cref="EndPoints"/> is relayed to the upstream, each direction delayed, rate-capped and lossy as
/// <see cref="LinkProfile"/> says (<see cref="LinkFlow"/>). The bytes are relayed unchanged, so what the upstream meters
/// is exactly what the client sent. All connections share one link, as the tabs and connections of one household do.
/// </summary>
public sealed class LinkEmulator : IAsyncDisposable
{
    /// <summary>The payload of a full segment on an Ethernet path (1500-byte MTU less 40 bytes of IPv4 and TCP headers).</summary>
    public const int SegmentBytes = 1460;

    /// <summary>Bytes a connection may have read but not yet delivered in one direction, at least: a TCP window.</summary>
    public const int MinWindowBytes = 256 * 1024;

    private const int ReadBytes = 64 * 1024;

    private readonly LinkProfile _profile;
    private readonly IPEndPoint _upstream;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly Lock _randomGate = new();
    private readonly LinkQueue _up, _down;
    private readonly int _windowSegments;
    private readonly List<Socket> _listeners = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<Task, byte> _connections = new();
    private readonly ConcurrentDictionary<IPEndPoint, byte> _upstreamEnds = new();
    private readonly List<Task> _acceptLoops = [];

    private LinkEmulator(LinkProfile profile, IPEndPoint upstream, TimeProvider time, int? seed)
    {
        _profile = profile;
        _upstream = upstream;
        _time = time;
        _random = seed is { } s ? new Random(s) : new Random();
        _up = new LinkQueue(profile.BitsPerSecond, time.TimestampFrequency);
        _down = new LinkQueue(profile.BitsPerSecond, time.TimestampFrequency);
        // Twice the bandwidth-delay product keeps the link busy through a round trip; the floor keeps small links usable.
        var bdp = profile.BitsPerSecond is { } bps ? bps / 8 * Math.Max(profile.RoundTrip.TotalSeconds, 0.001) : 0;
        _windowSegments = (int)Math.Ceiling(Math.Max(MinWindowBytes, 2 * bdp) / SegmentBytes);
    }

    public LinkProfile Profile => _profile;

    /// <summary>Where clients connect (port 0 asked for becomes the port the system chose).</summary>
    public IReadOnlyList<IPEndPoint> EndPoints { get; private set; } = [];

    public LinkCounters Counters { get; } = new();

    /// <summary>Whether a connection the upstream sees from <paramref name="remote"/> is one this link relays (so an app
    /// behind it can tell which link a request came over).</summary>
    public bool Carries(IPEndPoint remote) => _upstreamEnds.ContainsKey(remote);

    /// <summary>
    /// Listens on <paramref name="listenOn"/> (default 127.0.0.1 on a free port) and relays every connection to
    /// <paramref name="upstream"/> over <paramref name="profile"/>. <paramref name="seed"/> makes jitter and loss repeatable.
    /// </summary>
    public static LinkEmulator Start(LinkProfile profile, IPEndPoint upstream, IReadOnlyList<IPEndPoint>? listenOn = null,
        TimeProvider? time = null, int? seed = null)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(upstream);
        var emulator = new LinkEmulator(profile, upstream, time ?? TimeProvider.System, seed);
        try
        {
            var bound = new List<IPEndPoint>();
            foreach (var endPoint in listenOn is { Count: > 0 } ? listenOn : [new IPEndPoint(IPAddress.Loopback, 0)])
            {
                var listener = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                emulator._listeners.Add(listener);
                listener.Bind(endPoint);
                listener.Listen(512);
                bound.Add((IPEndPoint)listener.LocalEndPoint!);
            }
            emulator.EndPoints = bound;
            foreach (var listener in emulator._listeners) emulator._acceptLoops.Add(emulator.AcceptAsync(listener));
            return emulator;
        }
        catch
        {
            foreach (var listener in emulator._listeners) listener.Dispose();
            throw;
        }
    }

    private async Task AcceptAsync(Socket listener)
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (_stop.IsCancellationRequested) return;
                continue; // one failed accept (the client gave up) does not end the link
            }
            var connection = RelayAsync(client);
            _connections.TryAdd(connection, 0);
            _ = connection.ContinueWith(t => _connections.TryRemove(t, out _), TaskScheduler.Default);
        }
    }

    private async Task RelayAsync(Socket client)
    {
        Counters.Connection();
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        using var upstream = new Socket(_upstream.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        IPEndPoint? upstreamEnd = null;
        try
        {
            client.NoDelay = true;
            upstream.NoDelay = true;
            long opened;
            lock (_randomGate) opened = LinkFlow.Handshake(_profile, _time.GetTimestamp(), _time.TimestampFrequency, _random, Counters);
            await upstream.ConnectAsync(_upstream, abort.Token);
            upstreamEnd = (IPEndPoint)upstream.LocalEndPoint!;
            _upstreamEnds.TryAdd(upstreamEnd, 0);
            await Task.WhenAll(
                PumpAsync(client, upstream, NewFlow(_up), opened, abort),
                PumpAsync(upstream, client, NewFlow(_down), opened, abort));
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
        {
            // The upstream refused, a side reset, or the link stops: both sides are cut (below), as a reset would.
            await abort.CancelAsync();
        }
        finally
        {
            // Both ends done cleanly: close with the FINs already sent. Otherwise reset both, so neither waits on the other.
            if (abort.IsCancellationRequested)
            {
                Cut(client);
                Cut(upstream);
            }
            client.Dispose();
            if (upstreamEnd is not null) _upstreamEnds.TryRemove(upstreamEnd, out _);
        }
    }

    private LinkFlow NewFlow(LinkQueue queue)
    {
        int seed;
        lock (_randomGate) seed = _random.Next();
        return new LinkFlow(_profile, queue, _time.TimestampFrequency, new Random(seed), Counters);
    }

    /// <summary>Relays one direction until its end: reads what the sender has, schedules each segment, delivers it when due.</summary>
    private async Task PumpAsync(Socket from, Socket to, LinkFlow flow, long opened, CancellationTokenSource abort)
    {
        var segments = Channel.CreateBounded<Segment>(new BoundedChannelOptions(_windowSegments)
        {
            SingleReader = true,
            SingleWriter = true,
        });
        var delivery = DeliverAsync(segments.Reader, to, abort);
        try
        {
            await WaitUntilAsync(opened, abort.Token);
            var buffer = new byte[ReadBytes];
            while (await segments.Writer.WaitToWriteAsync(abort.Token))
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, abort.Token);
                if (read == 0)
                {
                    segments.Writer.TryWrite(new Segment(flow.ScheduleEnd(_time.GetTimestamp()), null));
                    break;
                }
                var count = (read + SegmentBytes - 1) / SegmentBytes;
                for (var i = 0; i < count; i++)
                {
                    var offset = i * SegmentBytes;
                    var data = buffer.AsSpan(offset, Math.Min(SegmentBytes, read - offset)).ToArray();
                    await segments.Writer.WaitToWriteAsync(abort.Token);
                    segments.Writer.TryWrite(new Segment(flow.Schedule(_time.GetTimestamp(), data.Length, count - 1 - i), data));
                }
            }
            segments.Writer.TryComplete();
        }
        catch (Exception e)
        {
            segments.Writer.TryComplete(e);
            await abort.CancelAsync(); // a reset on one side resets the other: nothing half-relayed stays open
        }
        await delivery;
    }

    private async Task DeliverAsync(ChannelReader<Segment> segments, Socket to, CancellationTokenSource abort)
    {
        var batch = new byte[ReadBytes];
        try
        {
            while (await segments.WaitToReadAsync(abort.Token))
            {
                if (!segments.TryPeek(out var next)) continue;
                await WaitUntilAsync(next.Due, abort.Token);
                // Everything due by now goes in one write, as a receiver's socket buffer hands it over.
                var now = _time.GetTimestamp();
                var length = 0;
                var end = false;
                while (segments.TryPeek(out var due) && due.Due <= now)
                {
                    if (due.Data is null)
                    {
                        end = true;
                        segments.TryRead(out _);
                        break;
                    }
                    if (length + due.Data.Length > batch.Length) break;
                    segments.TryRead(out _);
                    due.Data.CopyTo(batch, length);
                    length += due.Data.Length;
                }
                if (length > 0) await SendAllAsync(to, batch.AsMemory(0, length), abort.Token);
                if (end)
                {
                    to.Shutdown(SocketShutdown.Send);
                    return;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException or ChannelClosedException)
        {
            await abort.CancelAsync();
        }
    }

    private static async Task SendAllAsync(Socket to, ReadOnlyMemory<byte> bytes, CancellationToken cancel)
    {
        while (!bytes.IsEmpty) bytes = bytes[await to.SendAsync(bytes, SocketFlags.None, cancel)..];
    }

    /// <summary>Never early: a timer may fire before a high-resolution clock says it is due, so check and wait again.</summary>
    private async Task WaitUntilAsync(long due, CancellationToken cancel)
    {
        while (true)
        {
            var now = _time.GetTimestamp();
            if (now >= due) return;
            await Task.Delay(TimeSpan.FromSeconds((double)(due - now) / _time.TimestampFrequency), _time, cancel);
        }
    }

    private static void Cut(Socket socket)
    {
        try
        {
            if (socket.Connected) socket.LingerState = new LingerOption(true, 0); // close with a reset, not a FIN
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
        socket.Close();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        foreach (var listener in _listeners) listener.Dispose();
        await Task.WhenAll(_acceptLoops);
        await Task.WhenAll(_connections.Keys);
        _stop.Dispose();
    }

    private readonly record struct Segment(long Due, byte[]? Data);
}
