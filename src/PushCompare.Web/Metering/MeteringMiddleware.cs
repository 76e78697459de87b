using Microsoft.AspNetCore.Http.Features;

namespace PushCompare.Web.Metering;

/// <summary>
/// Binds each HTTP/1.x request on a metered connection to a <see cref="RequestMeter"/>, so its bytes flow there until
/// the response is complete (Response.OnCompleted runs after Kestrel's final flush), and offers it to the transports
/// as <see cref="IRequestMetering"/>: the endpoint that serves the request says which transport and session it is.
/// </summary>
internal sealed class MeteringMiddleware(RequestDelegate next, WireMeter meter)
{
    // Async, so the AsyncLocal set below is undone when the request ends (not left on Kestrel's connection loop).
    public async Task InvokeAsync(HttpContext context)
    {
        var connection = context.Features.Get<ConnectionMeter>();
        // Not on a metered Kestrel connection (TestServer), or HTTP/2+, whose multiplexed bytes stay "other".
        if (connection is null || connection.IsUpgraded || !HttpProtocol.IsHttp11(context.Request.Protocol) && !HttpProtocol.IsHttp10(context.Request.Protocol))
        {
            await next(context);
            return;
        }

        var request = new RequestMeter(meter, connection, context.Connection.Id);
        connection.Begin(request);
        context.Features.Set<IRequestMetering>(request);
        context.Response.OnCompleted(static state =>
        {
            var (c, r, ctx) = ((ConnectionMeter, RequestMeter, HttpContext))state;
            c.End(r, ctx.Request.ContentLength);
            return Task.CompletedTask;
        }, (connection, request, context));
        if (context.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true } upgrade)
            context.Features.Set<IHttpUpgradeFeature>(new MeteredUpgradeFeature(upgrade, connection, request));

        MessageMetering.Current = request;
        await next(context);
    }
}
