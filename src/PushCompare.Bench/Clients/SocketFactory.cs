using System.Net;
using System.Net.Sockets;

namespace PushCompare.Bench.Clients;

/// <summary>
/// Opens the client's TCP connections. On IPv4 loopback each connection takes its source address from 127.0.0.2–251
/// in turn: one source address has ~28k ephemeral ports, and runs with 10,000 clients per transport, back to back,
/// would otherwise run out while closed connections sit in TIME_WAIT.
/// </summary>
internal static class SocketFactory
{
    private static int _next;
    private static Spread? _spread;

    /// <summary>
    /// Until disposed, connections to the first of <paramref name="entries"/> go to each of them in turn (the ports of
    /// several gateways on this machine), as an L4 load balancer in front of them would spread them: the HTTP the
    /// clients send is unchanged (Host names the first), only the TCP connection goes elsewhere. Runs are one at a time.
    /// </summary>
    public static IDisposable SpreadOver(IReadOnlyList<Uri> entries)
    {
        var spread = new Spread(entries[0].Host, entries[0].Port, [.. entries.Select(e => e.Port)]);
        if (Interlocked.CompareExchange(ref _spread, spread, null) is not null) throw new InvalidOperationException("connections are already spread for another run");
        return spread;
    }

    private sealed class Spread(string host, int port, int[] ports) : IDisposable
    {
        private int _next = -1;

        public int PortFor(DnsEndPoint endPoint) => endPoint.Port == port && endPoint.Host == host
            ? ports[(uint)Interlocked.Increment(ref _next) % ports.Length]
            : endPoint.Port;

        public void Dispose() => Interlocked.CompareExchange(ref SocketFactory._spread, null, this);
    }

    public static async ValueTask<NetworkStream> ConnectAsync(DnsEndPoint endPoint, CancellationToken cancel)
    {
        IPAddress[] addresses = IPAddress.TryParse(endPoint.Host, out var parsed) ? [parsed] : await Dns.GetHostAddressesAsync(endPoint.Host, cancel);
        var address = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses[0];
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            if (address.AddressFamily == AddressFamily.InterNetwork && IPAddress.IsLoopback(address))
            {
                byte last = (byte)(2 + (uint)Interlocked.Increment(ref _next) % 250);
                socket.Bind(new IPEndPoint(new IPAddress([127, 0, 0, last]), 0));
            }
            await socket.ConnectAsync(new IPEndPoint(address, _spread?.PortFor(endPoint) ?? endPoint.Port), cancel);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
