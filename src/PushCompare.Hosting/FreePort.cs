using System.Net;
using System.Net.Sockets;

namespace PushCompare.Hosting;

/// <summary>A loopback port nobody listens on now, for a program that cannot bind port 0 and say which it got (redis-server).</summary>
public static class FreePort
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
