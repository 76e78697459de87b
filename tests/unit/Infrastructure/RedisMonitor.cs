using System.Net.Sockets;
using System.Text;

namespace PushCompare.UnitTests.Infrastructure;

/// <summary>
/// Redis's <c>MONITOR</c> over a plain socket: every command the server runs, from any client, and those a Lua script
/// runs (marked <c>[0 lua]</c>), one line each, in the order it ran them. <see cref="CommandsAsync"/> returns what ran
/// since the last call, up to a marker <c>PING</c> sent after the caller's requests were answered, so nothing that
/// ran before it is missed and nothing after it is counted.
/// </summary>
public sealed class RedisMonitor : IAsyncDisposable
{
    private readonly TcpClient _client;
    private readonly StreamReader _reader;
    private readonly RedisServer _redis;
    private int _marks;

    private RedisMonitor(RedisServer redis, TcpClient client)
    {
        _redis = redis;
        _client = client;
        _reader = new StreamReader(client.GetStream(), Encoding.UTF8);
    }

    public static async Task<RedisMonitor> StartAsync(RedisServer redis)
    {
        var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", redis.Port);
        await client.GetStream().WriteAsync("MONITOR\r\n"u8.ToArray());
        var monitor = new RedisMonitor(redis, client);
        Assert.Equal("+OK", await monitor._reader.ReadLineAsync().Within("Redis starts monitoring"));
        await monitor.CommandsAsync(); // from here on
        return monitor;
    }

    /// <summary>The commands Redis ran since the last call, as MONITOR prints them (<c>… [0 lua] "HMGET" "key" …</c>).</summary>
    public async Task<List<string>> CommandsAsync()
    {
        string marker = $"monitor-mark-{Interlocked.Increment(ref _marks)}-{Guid.NewGuid():N}";
        Assert.Equal("$" + marker.Length, (await _redis.CommandAsync($"ECHO {marker}"))?.Split("\r\n")[0]);
        var lines = new List<string>();
        while (true)
        {
            string? line = await _reader.ReadLineAsync().Within("Redis's MONITOR shows the marker");
            Assert.NotNull(line);
            if (line.Contains(marker, StringComparison.Ordinal)) return lines;
            lines.Add(line);
        }
    }

    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        return ValueTask.CompletedTask;
    }
}
