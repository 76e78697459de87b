using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;

namespace PushCompare.Web.Metering;

/// <summary>
/// Kestrel connection middleware: wraps the transport of every accepted connection (below HTTP, so every byte of the
/// TCP payload is seen) and exposes the connection's <see cref="ConnectionMeter"/> as a connection feature.
/// </summary>
internal static class ConnectionMetering
{
    public static ConnectionDelegate Wrap(ConnectionDelegate next, WireMeter meter) => async connection =>
    {
        var connectionMeter = new ConnectionMeter(meter);
        var transport = connection.Transport;
        connection.Transport = new DuplexPipe(
            new MeteredPipeReader(transport.Input, connectionMeter),
            new MeteredPipeWriter(transport.Output, connectionMeter));
        connection.Features.Set(connectionMeter);
        try
        {
            await next(connection);
        }
        finally
        {
            connectionMeter.Close();
        }
    };

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;
        public PipeWriter Output { get; } = output;
    }
}
