using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace PushCompare.Bench.Metrics;

/// <summary>
/// What the bench reads from Redis's <c>INFO</c>: the calls of every command (section commandstats,
/// <c>cmdstat_NAME:calls=N,...</c>) and the bytes Redis read from and wrote to its clients (section stats,
/// <c>total_net_input_bytes</c>, <c>total_net_output_bytes</c>). Redis counts a command a Lua script runs
/// (<c>redis.call</c>) as a call of that command too, beside the script's EVALSHA.
/// </summary>
public sealed record RedisInfo(IReadOnlyDictionary<string, long> Calls, long NetInputBytes, long NetOutputBytes)
{
    /// <summary>Parses INFO text (any sections, CRLF or LF); throws <see cref="FormatException"/> when the two byte totals are missing.</summary>
    public static RedisInfo Parse(string text)
    {
        var calls = new Dictionary<string, long>(StringComparer.Ordinal);
        long? input = null, output = null;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0 || line[0] == '#') continue;
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0) continue;
            string name = line[..colon], value = line[(colon + 1)..];
            if (name.StartsWith("cmdstat_", StringComparison.Ordinal))
            {
                // cmdstat_evalsha:calls=12,usec=340,usec_per_call=28.33,rejected_calls=0,failed_calls=0 (subcommands: cmdstat_client|setname)
                foreach (var field in value.Split(','))
                {
                    if (field.StartsWith("calls=", StringComparison.Ordinal))
                    {
                        calls[name["cmdstat_".Length..]] = Number(field["calls=".Length..], line);
                        break;
                    }
                }
            }
            else if (name == "total_net_input_bytes") input = Number(value, line);
            else if (name == "total_net_output_bytes") output = Number(value, line);
        }
        if (input is null || output is null) throw new FormatException("the INFO text has no total_net_input_bytes and total_net_output_bytes (section stats)");
        return new RedisInfo(calls, input.Value, output.Value);
    }

    private static long Number(string text, string line) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long n) ? n : throw new FormatException($"'{line}' does not hold a count");
}

/// <summary>One <c>INFO</c> reading, with the bytes its own request and reply took (so they can be taken out again).</summary>
public sealed record RedisReading(RedisInfo Info, int RequestBytes, int ReplyBytes);

/// <summary>
/// Reads INFO over one raw RESP connection kept open for a run, so reading costs no handshake, no client library's
/// own commands (CLIENT SETNAME, CONFIG GET, ...) and exactly one INFO command per reading. Not
/// <c>RedisProcess.CommandAsync</c>: that opens a connection per command and keeps only a short reply's first chunk,
/// where this needs the whole reply (~2 KB) and its exact length, which is taken out of Redis's byte totals.
/// </summary>
internal sealed class RedisInfoReader : IAsyncDisposable
{
    /// <summary><c>INFO stats commandstats</c> as a RESP array (several sections in one INFO: Redis 7).</summary>
    private static readonly byte[] Request = "*3\r\n$4\r\nINFO\r\n$5\r\nstats\r\n$12\r\ncommandstats\r\n"u8.ToArray();

    private readonly TcpClient _client;
    private readonly NetworkStream _stream;
    private byte[] _buffer = new byte[64 * 1024];

    private RedisInfoReader(TcpClient client)
    {
        _client = client;
        _stream = client.GetStream();
    }

    public static async Task<RedisInfoReader> ConnectAsync(string hostPort, CancellationToken cancel)
    {
        int colon = hostPort.LastIndexOf(':');
        var client = new TcpClient { NoDelay = true };
        try
        {
            await client.ConnectAsync(hostPort[..colon], int.Parse(hostPort[(colon + 1)..], CultureInfo.InvariantCulture), cancel);
            return new RedisInfoReader(client);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    public async Task<RedisReading> ReadAsync(CancellationToken cancel)
    {
        await _stream.WriteAsync(Request, cancel);
        // A bulk string: "$<length>\r\n<length bytes>\r\n"; an error is "-ERR ...\r\n".
        int filled = 0, headerEnd;
        while ((headerEnd = IndexOfCrLf(filled)) < 0) filled += await ReadMoreAsync(filled, cancel);
        if (_buffer[0] != (byte)'$')
        {
            throw new IOException($"Redis answered INFO with '{Encoding.ASCII.GetString(_buffer, 0, headerEnd)}'");
        }
        int length = int.Parse(Encoding.ASCII.GetString(_buffer, 1, headerEnd - 1), CultureInfo.InvariantCulture);
        int total = headerEnd + 2 + length + 2;
        if (_buffer.Length < total) Array.Resize(ref _buffer, total);
        while (filled < total) filled += await ReadMoreAsync(filled, cancel);
        var info = RedisInfo.Parse(Encoding.UTF8.GetString(_buffer, headerEnd + 2, length));
        return new RedisReading(info, Request.Length, total);
    }

    private async Task<int> ReadMoreAsync(int filled, CancellationToken cancel)
    {
        if (filled == _buffer.Length) Array.Resize(ref _buffer, _buffer.Length * 2);
        int read = await _stream.ReadAsync(_buffer.AsMemory(filled), cancel);
        return read > 0 ? read : throw new IOException("Redis closed the connection while the bench read INFO");
    }

    private int IndexOfCrLf(int filled)
    {
        int i = _buffer.AsSpan(0, filled).IndexOf("\r\n"u8);
        return i;
    }

    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>One command's calls in a run's window.</summary>
public sealed record RedisCommandCalls(string Command, long Calls);

/// <summary>
/// What Redis did in a run's measurement window, from an INFO reading at each edge, less the first reading's own cost:
/// its INFO call (counted once it ran, so in the second reading), its reply bytes (written after it was taken) and the
/// second reading's request bytes (read before it was taken). Per delivered message and per second as the reports show it.
/// </summary>
public sealed record RedisCost(long Commands, IReadOnlyList<RedisCommandCalls> ByCommand, long BytesIn, long BytesOut, long Messages, double Seconds)
{
    /// <summary>The commands that run a Lua script (their redis.call commands are counted under their own names too).</summary>
    private static readonly string[] ScriptCommands = ["evalsha", "eval", "evalsha_ro", "eval_ro", "fcall", "fcall_ro"];

    public static RedisCost Between(RedisReading before, RedisReading after, long messages, double seconds)
    {
        var byCommand = new List<RedisCommandCalls>();
        foreach (var (command, calls) in after.Info.Calls)
        {
            long delta = calls - before.Info.Calls.GetValueOrDefault(command) - (command == "info" ? 1 : 0);
            if (delta > 0) byCommand.Add(new RedisCommandCalls(command, delta));
        }
        byCommand.Sort((a, b) => b.Calls != a.Calls ? b.Calls.CompareTo(a.Calls) : string.CompareOrdinal(a.Command, b.Command));
        return new RedisCost(byCommand.Sum(c => c.Calls), byCommand,
            after.Info.NetInputBytes - before.Info.NetInputBytes - after.RequestBytes,
            after.Info.NetOutputBytes - before.Info.NetOutputBytes - before.ReplyBytes,
            messages, seconds);
    }

    public long CallsOf(string command) => ByCommand.FirstOrDefault(c => c.Command == command)?.Calls ?? 0;

    public long Scripts => ScriptCommands.Sum(CallsOf);

    public double? CommandsPerMessage => Per(Commands);

    public double? ScriptsPerMessage => Per(Scripts);

    public double? PublishesPerMessage => Per(CallsOf("publish"));

    public double? BytesInPerMessage => Per(BytesIn);

    public double? BytesOutPerMessage => Per(BytesOut);

    public double? CommandsPerSecond => Seconds > 0 ? Commands / Seconds : null;

    private double? Per(long n) => Messages > 0 ? (double)n / Messages : null;
}
