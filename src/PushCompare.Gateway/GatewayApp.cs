using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Configuration;

namespace PushCompare.Gateway;

/// <summary>The gateway: YARP in front of the instances named by <see cref="GatewayOptions"/>.</summary>
public static class GatewayApp
{
    public static WebApplication Build(string[] args)
    {
        // Its own appsettings.json, wherever it is started from (`cluster` runs it in-process from the repository root).
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Services.AddOptions<GatewayOptions>().Bind(builder.Configuration.GetSection(GatewayOptions.Section)).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<GatewayOptions>, GatewayOptionsValidator>();
        builder.Services.AddSingleton<IProxyConfigProvider, GatewayConfig>();
        builder.Services.AddReverseProxy();

        var app = builder.Build();
        app.MapReverseProxy(); // WebSocket upgrades included: YARP proxies them as opaque streams
        return app;
    }
}
