using Microsoft.Extensions.Options;
using PushCompare.Serving;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Health;

namespace PushCompare.Gateway;

/// <summary>The gateway: YARP in front of the instances named by <see cref="GatewayOptions"/>.</summary>
public static class GatewayApp
{
    public static WebApplication Build(string[] args)
    {
        // Its own appsettings.json, wherever it is started from (`cluster` runs it in-process from the repository root).
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        // As on the instances: "Server: Kestrel" serves no client, and would add 17 bytes to every response through the
        // gateway that the same response from an instance does not have.
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);
        // As on the instances, the proxying runs on the socket threads: a third less gateway CPU per message at 1,000
        // clients (docs/benchmarks.md, "Scale-out cost, third pass").
        builder.UseInlineSocketScheduling();
        builder.Services.AddValidatedOptions<GatewayOptions, GatewayOptionsValidator>(builder.Configuration.GetSection(GatewayOptions.Section));
        builder.Services.AddSingleton<IProxyConfigProvider, GatewayConfig>();
        var proxy = builder.Services.AddReverseProxy();
        builder.Services.AddSingleton<IActiveHealthCheckPolicy, InstanceHealthPolicy>();
        bool metering = GatewayMetering.IsEnabled(builder.Configuration);
        if (metering) builder.AddGatewayMetering(proxy); // the browser's connection ends here: it is metered here

        var app = builder.Build();
        if (metering)
        {
            app.UseGatewayMetering(); // first, so every request's bytes are bound to it
            app.MapGatewayStats(); // the gateway's own figures, merged with the instances'
        }
        app.MapReverseProxy(); // WebSocket upgrades included: YARP proxies them as opaque streams
        return app;
    }
}
