using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;

namespace PushCompare.UnitTests.Infrastructure;

/// <summary>
/// Small server-side socket buffers (1 KiB asked for the kernel's send buffer, 1 KiB transport write buffer), so a peer
/// that stops reading backs the server's writes up within a second rather than after megabytes.
/// </summary>
public static class SmallSocketBuffers
{
    public static IWebHostBuilder UseSmallSocketBuffers(this IWebHostBuilder builder) =>
        builder.ConfigureServices(services => services.Configure<SocketTransportOptions>(sockets =>
        {
            sockets.MaxWriteBufferSize = 1024;
            sockets.CreateBoundListenSocket = endpoint =>
            {
                var listener = SocketTransportOptions.CreateDefaultBoundListenSocket(endpoint);
                listener.SendBufferSize = 1024; // accepted sockets inherit it
                return listener;
            };
        }));
}
