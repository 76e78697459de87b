using Microsoft.AspNetCore.Http.Features;

namespace PushCompare.Web.Metering;

/// <summary>
/// Binds each HTTP/1.x request on a metered connection to a <see cref="RequestMeter"/>, so its bytes flow there until
/// the response is complete (Response.OnCompleted runs after Kestrel's final flush), and offers it to the transports
/// as <see cref="IRequestMetering"/>: the endpoint that serves the request says which transport and session it is.
/// </summary>
internal sealed class MeteringMiddleware(RequestDelegate next, WireMeter meter)
{
    // Not async: a WebSocket request never returns while its socket is open, and an awaiting frame here would stay alive
    // for every idle connection. The transports reach the request's meter through the IRequestMetering feature.
    public Task InvokeAsync(HttpContext context)
    {
        var connection = context.Features.Get<ConnectionMeter>();
        // Not on a metered Kestrel connection (TestServer); HTTP/2+, whose multiplexed bytes stay "other"; or TLS, where the
        // connection meter sees records, not HTTP: those bytes stay "other" until they are counted at both layers.
        if (connection is null || connection.IsUpgraded || context.Request.IsHttps
            || !HttpProtocol.IsHttp11(context.Request.Protocol) && !HttpProtocol.IsHttp10(context.Request.Protocol))
        {
            return next(context);
        }

        var request = new RequestMeter(meter, connection, context.Connection.Id);
        connection.Begin(request);
        context.Features.Set<IRequestMetering>(request);
        context.Response.OnCompleted(static state =>
        {
            var ctx = (HttpContext)state;
            ctx.Features.Get<ConnectionMeter>()!.End((RequestMeter)ctx.Features.Get<IRequestMetering>()!, ctx.Request.ContentLength);
            return Task.CompletedTask;
        }, context);
        if (context.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true } upgrade)
            context.Features.Set<IHttpUpgradeFeature>(new MeteredUpgradeFeature(upgrade, connection, request));

        return next(context);
    }
}
