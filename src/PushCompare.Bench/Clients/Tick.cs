using System.Buffers.Text;
using System.Text;

namespace PushCompare.Bench.Clients;

/// <summary>A server push message: <c>tick &lt;n&gt; &lt;server unix time ms&gt;</c>, n counting from 1 per connection or session.</summary>
internal static class Tick
{
    private static ReadOnlySpan<byte> Prefix => "tick "u8;

    public static bool TryParse(ReadOnlySpan<byte> message, out long number, out long serverUnixMs)
    {
        number = serverUnixMs = 0;
        if (!message.StartsWith(Prefix)) return false;
        var rest = message[Prefix.Length..];
        if (!Utf8Parser.TryParse(rest, out number, out int used) || used == 0 || used >= rest.Length || rest[used] != (byte)' ') return false;
        rest = rest[(used + 1)..];
        return Utf8Parser.TryParse(rest, out serverUnixMs, out used) && used == rest.Length && used > 0;
    }

    public static bool TryParse(string message, out long number, out long serverUnixMs)
    {
        Span<byte> utf8 = stackalloc byte[64];
        if (Encoding.UTF8.GetByteCount(message) > utf8.Length)
        {
            number = serverUnixMs = 0;
            return false;
        }
        int n = Encoding.UTF8.GetBytes(message, utf8);
        return TryParse(utf8[..n], out number, out serverUnixMs);
    }

    /// <summary>Microseconds from the server's timestamp to now (same machine, same clock). The server stamps whole
    /// milliseconds, so this reads up to 1 ms high.</summary>
    public static long LatencyMicros(long serverUnixMs)
    {
        long nowMicros = (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) / 10;
        return Math.Max(0, nowMicros - serverUnixMs * 1000);
    }
}
