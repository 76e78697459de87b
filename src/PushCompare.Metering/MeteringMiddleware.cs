using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;

namespace PushCompare.Metering;

/// <summary>
/// Binds each request on a metered connection to a <see cref="RequestMeter"/>, so its bytes flow there until the
/// response is complete (Response.OnCompleted runs after Kestrel's final flush), and offers it to the transports as
/// <see cref="IRequestMetering"/>: the endpoint that serves the request says which transport and session it is.
/// HTTP/1.x requests bind to their connection (plaintext or decrypted TLS); HTTP/2 requests to their stream.
/// </summary>
internal sealed class MeteringMiddleware(RequestDelegate next, WireMeter meter)
{
    // Not async: a WebSocket request never returns while its socket is open, and an awaiting frame here would stay alive
    // for every idle connection. The transports reach the request's meter through the IRequestMetering feature.
    public Task InvokeAsync(HttpContext context)
    {
        var request = context.Features.Get<HttpLayerMeter>() switch
        {
            // HTTP/1.x (a plaintext endpoint's HTTP/2 is not metered by stream: its bytes stay "other").
            ConnectionMeter { IsUpgraded: false } connection when IsHttp1(context.Request.Protocol) => Http1(context, connection),
            Http2ConnectionMeter http2 when context.Features.Get<IHttp2StreamIdFeature>() is { } stream => Http2(context, http2, stream.StreamId),
            _ => null, // not on a metered Kestrel connection (TestServer), or an HTTP/2 request on a plaintext connection
        };
        if (request is not null)
        {
            context.Features.Set<IRequestMetering>(request);
            // Forwarded by a gateway, which meters the client's own connection: tell it what this request was.
            if (context.Request.Headers.ContainsKey(GatewayAttribution.RequestHeader)) GatewayAttribution.DeclareOnStarting(context);
        }
        return next(context);
    }

    private static bool IsHttp1(string protocol) => HttpProtocol.IsHttp11(protocol) || HttpProtocol.IsHttp10(protocol);

    private RequestMeter Http1(HttpContext context, ConnectionMeter connection)
    {
        var request = connection is TlsConnectionMeter
            ? new TlsRequestMeter(meter, connection, context.Connection.Id, ConnectionFigure.Http11TlsRequests)
            : new RequestMeter(meter, connection, context.Connection.Id);
        connection.Begin(request);
        // The context is the state (no tuple to allocate per request): the connection and request are its features.
        context.Response.OnCompleted(static state =>
        {
            var ctx = (HttpContext)state;
            ((ConnectionMeter)ctx.Features.Get<HttpLayerMeter>()!).End((RequestMeter)ctx.Features.Get<IRequestMetering>()!, ctx.Request.ContentLength);
            return Task.CompletedTask;
        }, context);
        if (context.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true } upgrade)
            context.Features.Set<IHttpUpgradeFeature>(new MeteredUpgradeFeature(upgrade, connection, request));
        return request;
    }

    private TlsRequestMeter Http2(HttpContext context, Http2ConnectionMeter connection, int streamId)
    {
        // The trace identifier names the stream (connection id:stream), so two WebSockets of one connection get two default keys.
        var request = new TlsRequestMeter(meter, connection, context.TraceIdentifier, ConnectionFigure.Http2TlsRequests);
        connection.Begin(streamId, request, context.Features.Get<IHttpExtendedConnectFeature>()?.IsExtendedConnect == true);
        context.Response.OnCompleted(static state =>
        {
            var ctx = (HttpContext)state;
            ((Http2ConnectionMeter)ctx.Features.Get<HttpLayerMeter>()!).End(ctx.Features.Get<IHttp2StreamIdFeature>()!.StreamId,
                (RequestMeter)ctx.Features.Get<IRequestMetering>()!);
            return Task.CompletedTask;
        }, context);
        return request;
    }
}
