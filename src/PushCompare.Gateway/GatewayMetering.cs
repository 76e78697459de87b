using PushCompare.Metering;
using Yarp.ReverseProxy.Transforms;

namespace PushCompare.Gateway;

/// <summary>
/// The browser's connection ends at the gateway, so the gateway meters it, with the instances' own metering
/// (src/PushCompare.Metering) on its Kestrel connections. It knows no transport: each forwarded request asks its
/// instance what the request was (<see cref="GatewayAttribution"/>), and the instance's answer attributes the
/// browser's bytes. <c>GET /api/stats</c> is the gateway's own (<see cref="GatewayStatsEndpoints"/>).
/// docs/measuring.md, "Behind the gateway".
/// </summary>
internal static class GatewayMetering
{
    /// <summary>Whether the gateway meters (<c>Metering:Enabled</c>, as on the instances); off, it forwards <c>/api/stats</c> like any request.</summary>
    public static bool IsEnabled(IConfiguration configuration) =>
        configuration.GetSection(MeteringOptions.Section).Get<MeteringOptions>()?.Enabled ?? new MeteringOptions().Enabled;

    public static WebApplicationBuilder AddGatewayMetering(this WebApplicationBuilder builder, IReverseProxyBuilder proxy)
    {
        builder.AddWireMetering();
        builder.Services.AddSingleton<InstanceStats>();
        proxy.AddTransforms(context =>
        {
            // Replaces any copy the browser sent (the first middleware removed it already; this one is the gateway's).
            context.AddRequestHeader(GatewayAttribution.RequestHeader, GatewayAttribution.RequestValue, append: false);
            context.AddResponseTransform(static transform =>
            {
                // Read before the head is written to the browser (a 101 included), then removed: the browser never sees it.
                if (transform.ProxyResponse?.Headers.TryGetValues(GatewayAttribution.ResponseHeader, out var declared) == true)
                    GatewayAttribution.Apply(transform.HttpContext, declared.FirstOrDefault());
                transform.HttpContext.Response.Headers.Remove(GatewayAttribution.ResponseHeader);
                return ValueTask.CompletedTask;
            });
        });
        return builder;
    }

    /// <summary>First in the pipeline: a browser's own <see cref="GatewayAttribution.RequestHeader"/> is dropped, then every request is metered.</summary>
    public static WebApplication UseGatewayMetering(this WebApplication app)
    {
        app.Use(static (context, next) =>
        {
            context.Request.Headers.Remove(GatewayAttribution.RequestHeader); // so no instance, nor the gateway's own metering, acts on it
            return next(context);
        });
        app.UseWireMetering();
        return app;
    }

    /// <summary>The keying each transport an instance declared uses (how the open-session counts are combined).</summary>
    public static IReadOnlyDictionary<string, SessionKeying> Keying(WireMeter meter) =>
        meter.Transports.ToDictionary(t => t.Descriptor.Id, t => t.Descriptor.Keying, StringComparer.Ordinal);
}
