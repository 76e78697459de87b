using System.IO.Pipelines;
using System.Net.Security;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;

namespace PushCompare.Metering;

/// <summary>
/// Kestrel connection middleware, installed for every endpoint below everything else (endpoint defaults run before
/// <c>UseHttps</c>, for endpoints from URLs and from code alike). It wraps the connection's transport pipe, so every
/// byte of the TCP payload is seen, and exposes the connection's HTTP layer as the <see cref="HttpLayerMeter"/>
/// feature. On a plaintext endpoint that pipe carries HTTP: one <see cref="ConnectionMeter"/> and nothing else. On a
/// TLS endpoint it carries records (<see cref="TlsRecordMeter"/>, the wire layer), and the decrypted pipe is metered
/// too: the middleware hands Kestrel's TLS middleware a <see cref="DecryptedLayerContext"/>, whose <c>Transport</c>
/// setter — which the TLS middleware calls with its decrypted pipe once the handshake is done — wraps that pipe in the
/// HTTP layer's meter, HTTP/1.1 or HTTP/2 as ALPN chose. docs/measuring.md says why this hook.
/// </summary>
internal static class ConnectionMetering
{
    public static ConnectionDelegate Wrap(ConnectionDelegate next, WireMeter meter) => async connection =>
    {
        var connectionMeter = new ConnectionMeter(meter);
        connection.Transport = Metered(connection.Transport, connectionMeter);
        connection.Features.Set<HttpLayerMeter>(connectionMeter);
        try
        {
            await next(connection);
        }
        finally
        {
            connectionMeter.Close();
        }
    };

    public static ConnectionDelegate WrapTls(ConnectionDelegate next, WireMeter meter) => async connection =>
    {
        var records = new TlsRecordMeter(meter, connection.ConnectionId);
        connection.Transport = Metered(connection.Transport, records);
        var decrypted = new DecryptedLayerContext(connection, records, meter);
        meter.TlsConnectionOpened(records);
        try
        {
            await next(decrypted);
        }
        finally
        {
            meter.TlsConnectionClosed(records);
            records.Close(); // first: the connection gauge, which the HTTP layer's close lowers, then shows final figures
            decrypted.Close();
        }
    };

    private static DuplexPipe Metered(IDuplexPipe transport, IByteTap tap) =>
        new(new MeteredPipeReader(transport.Input, tap), new MeteredPipeWriter(transport.Output, tap));

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;
        public PipeWriter Output { get; } = output;
    }

    /// <summary>
    /// The connection as Kestrel's TLS middleware and everything after it see it: every member is the real
    /// connection's, except that the first pipe assigned to <see cref="Transport"/> other than the record pipe — the
    /// decrypted one — is wrapped in the HTTP layer's meter.
    /// </summary>
    private sealed class DecryptedLayerContext(ConnectionContext inner, TlsRecordMeter records, WireMeter meter) : ConnectionContext
    {
        private readonly IDuplexPipe _records = inner.Transport;
        private HttpLayerMeter? _layer;

        public override IDuplexPipe Transport
        {
            get => inner.Transport;
            set => inner.Transport = ReferenceEquals(value, _records) || _layer is not null ? value : Decrypted(value);
        }

        private DuplexPipe Decrypted(IDuplexPipe pipe)
        {
            var handshake = inner.Features.Get<ITlsHandshakeFeature>();
            if (handshake is not null) records.Established(handshake.Protocol, handshake.NegotiatedCipherSuite);
            bool h2 = inner.Features.Get<Microsoft.AspNetCore.Server.Kestrel.Core.Features.ITlsApplicationProtocolFeature>()?.ApplicationProtocol.Span
                .SequenceEqual(SslApplicationProtocol.Http2.Protocol.Span) == true;
            IByteTap tap;
            records.Protocol = h2 ? WireMeter.Protocol.Http2Tls : WireMeter.Protocol.Http11Tls;
            if (h2)
            {
                var http2 = new Http2ConnectionMeter(meter, records);
                (_layer, tap) = (http2, http2);
            }
            else
            {
                var http1 = new TlsConnectionMeter(meter, records);
                (_layer, tap) = (http1, http1);
            }
            inner.Features.Set(_layer);
            return Metered(pipe, tap);
        }

        public void Close()
        {
            switch (_layer)
            {
                case ConnectionMeter http1: http1.Close(); break;
                case Http2ConnectionMeter http2: http2.Close(); break;
            }
        }

        public override string ConnectionId { get => inner.ConnectionId; set => inner.ConnectionId = value; }
        public override IFeatureCollection Features => inner.Features;
        public override IDictionary<object, object?> Items { get => inner.Items; set => inner.Items = value; }
        public override CancellationToken ConnectionClosed { get => inner.ConnectionClosed; set => inner.ConnectionClosed = value; }
        public override System.Net.EndPoint? LocalEndPoint { get => inner.LocalEndPoint; set => inner.LocalEndPoint = value; }
        public override System.Net.EndPoint? RemoteEndPoint { get => inner.RemoteEndPoint; set => inner.RemoteEndPoint = value; }
        public override void Abort(ConnectionAbortedException abortReason) => inner.Abort(abortReason);
        public override void Abort() => inner.Abort();
        public override ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
