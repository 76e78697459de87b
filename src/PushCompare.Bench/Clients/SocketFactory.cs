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
            await socket.ConnectAsync(new IPEndPoint(address, endPoint.Port), cancel);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
