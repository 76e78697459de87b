using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;

namespace PushCompare.Web.Metering;

/// <summary>
/// Binds each request on a metered connection to a <see cref="RequestMeter"/>, so its bytes flow there until the
/// response is complete (Response.OnCompleted runs after Kestrel's final flush), and offers it to the transports as
/// <see cref="IRequestMetering"/>: the endpoint that serves the request says which transport and session it is.
/// HTTP/1.x requests bind to their connection (plaintext or decrypted TLS); HTTP/2 requests to their stream.
/// </summary>
internal sealed class MeteringMiddleware(RequestDelegate next, WireMeter meter)
{
    // Async, so the AsyncLocal set below is undone when the request ends (not left on Kestrel's connection loop).
    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Features.Get<HttpLayerMeter>() switch
        {
            // HTTP/1.x (a plaintext endpoint's HTTP/2 is not metered by stream: its bytes stay "other").
            ConnectionMeter { IsUpgraded: false } connection when IsHttp1(context.Request.Protocol) => Http1(context, connection),
            Http2ConnectionMeter http2 when context.Features.Get<IHttp2StreamIdFeature>() is { } stream => Http2(context, http2, stream.StreamId),
            _ => null, // not on a metered Kestrel connection (TestServer), or an HTTP/2 request on a plaintext connection
        };
        if (request is null)
        {
            await next(context);
            return;
        }
        context.Features.Set<IRequestMetering>(request);
        MessageMetering.Current = request;
        await next(context);
    }

    private static bool IsHttp1(string protocol) => HttpProtocol.IsHttp11(protocol) || HttpProtocol.IsHttp10(protocol);

    private RequestMeter Http1(HttpContext context, ConnectionMeter connection)
    {
        var request = connection is TlsConnectionMeter
            ? new TlsRequestMeter(meter, connection, context.Connection.Id, ConnectionFigure.Http11TlsRequests)
            : new RequestMeter(meter, connection, context.Connection.Id);
        connection.Begin(request);
        context.Response.OnCompleted(static state =>
        {
            var (c, r, ctx) = ((ConnectionMeter, RequestMeter, HttpContext))state;
            c.End(r, ctx.Request.ContentLength);
            return Task.CompletedTask;
        }, (connection, request, context));
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
            var (c, r, id) = ((Http2ConnectionMeter, RequestMeter, int))state;
            c.End(id, r);
            return Task.CompletedTask;
        }, (connection, (RequestMeter)request, streamId));
        return request;
    }
}
