using System.Net.Security;
using PushCompare.Bench.Cli;
using PushCompare.Bench.Metrics;

namespace PushCompare.Bench.Clients;

/// <summary>
/// The client's connections for a <see cref="WireStack"/>, counted at two layers: the wire (TCP payload: TLS records
/// with their headers, the handshake, alerts) by a <see cref="CountingStream"/> over the socket, and the HTTP layer
/// (what the HTTP client wrote and read: HTTP/1.1 text, or HTTP/2 frames with HPACK) by one over the decrypted
/// stream. Without TLS both layers are the same stream, counted once.
/// </summary>
internal static class HttpStack
{
    /// <summary>
    /// Chromium's HTTP/2 receive window for a stream (6 MB, net/spdy): with it, and without .NET's dynamic window sizing
    /// (which sends PING frames to estimate the round trip), the client sends WINDOW_UPDATE about as rarely as a
    /// browser, so its flow-control bytes are not charged to the transports as .NET-only overhead.
    /// </summary>
    public const int Http2StreamWindow = 6 * 1024 * 1024;

    static HttpStack() => AppContext.SetSwitch("System.Net.SocketsHttpHandler.Http2FlowControl.DisableDynamicWindowSizing", true);

    /// <summary>
    /// A <see cref="SocketsHttpHandler"/> for <paramref name="stack"/>: every connection it opens goes through
    /// <see cref="SocketFactory"/>, is counted at both layers into <paramref name="traffic"/> (when given), and its
    /// HTTP-layer stream is handed to <paramref name="onHttpLayer"/> (per-connection accounting of a WebSocket).
    /// HTTP/2 connections carry as many streams as the server allows; more are opened when that limit is reached.
    /// </summary>
    public static SocketsHttpHandler CreateHandler(WireStack stack, Uri baseUri, TrafficMeter? traffic, Action<CountingStream>? onHttpLayer = null)
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = System.Net.DecompressionMethods.None,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            EnableMultipleHttp2Connections = true,
            InitialHttp2StreamWindowSize = Http2StreamWindow,
            SslOptions = LoopbackTls.ClientOptions(baseUri, alpn: null),
            ConnectCallback = async (context, cancel) =>
            {
                var wire = new CountingStream(await SocketFactory.ConnectAsync(context.DnsEndPoint, cancel));
                if (stack.Tls)
                {
                    traffic?.AddWire(wire);
                }
                else
                {
                    traffic?.Add(wire);
                    onHttpLayer?.Invoke(wire);
                }
                return wire;
            },
        };
        if (stack.Tls)
        {
            // Called with the decrypted stream once TLS is up: what the HTTP client writes and reads above TLS.
            handler.PlaintextStreamFilter = (context, _) =>
            {
                var http = new CountingStream(context.PlaintextStream);
                traffic?.AddHttp(http);
                onHttpLayer?.Invoke(http);
                return ValueTask.FromResult<Stream>(http);
            };
        }
        return handler;
    }

    /// <summary>The version a request of this stack asks for, exactly: a server that answers another one fails the run rather than being measured as it.</summary>
    public static Version Version(WireStack stack) => stack.IsHttp2 ? System.Net.HttpVersion.Version20 : System.Net.HttpVersion.Version11;

    /// <summary>
    /// Opens one TLS connection by hand for the lean HTTP/1.1 clients (ALPN http/1.1): the socket counted as wire,
    /// the decrypted stream as the HTTP layer (returned).
    /// </summary>
    public static async ValueTask<CountingStream> ConnectTlsAsync(Uri baseUri, TrafficMeter traffic, CancellationToken cancel)
    {
        var wire = new CountingStream(await SocketFactory.ConnectAsync(new System.Net.DnsEndPoint(baseUri.IdnHost, baseUri.Port), cancel).ConfigureAwait(false));
        var tls = new SslStream(wire, leaveInnerStreamOpen: false);
        try
        {
            await tls.AuthenticateAsClientAsync(LoopbackTls.ClientOptions(baseUri, SslApplicationProtocol.Http11), cancel).ConfigureAwait(false);
        }
        catch
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        traffic.AddWire(wire);
        var http = new CountingStream(tls);
        traffic.AddHttp(http);
        return http;
    }
}

/// <summary>
/// Certificate checking of the bench's TLS clients. A certificate that validates is always accepted; one that does not
/// (the app's self-signed certificate) only when the server is on loopback (localhost, 127.0.0.0/8, ::1), i.e. the
/// app the bench started on this machine, or one given with <c>--url</c> here. A remote server must have a valid one.
/// </summary>
internal static class LoopbackTls
{
    public static SslClientAuthenticationOptions ClientOptions(Uri baseUri, SslApplicationProtocol? alpn)
    {
        bool loopback = baseUri.IsLoopback;
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = baseUri.IdnHost,
            RemoteCertificateValidationCallback = (_, _, _, errors) => errors == SslPolicyErrors.None || loopback,
        };
        if (alpn is { } protocol) options.ApplicationProtocols = [protocol];
        return options;
    }

    /// <summary>A handler for the bench's own requests (reading the registry, warming up) that accepts what the clients accept.</summary>
    public static SocketsHttpHandler Handler(Uri baseUri) => new() { UseProxy = false, SslOptions = ClientOptions(baseUri, alpn: null) };
}
