using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using PushCompare.Web.Messaging;

namespace PushCompare.Web.Metering;

public static class MeteringExtensions
{
    /// <summary>
    /// Counts every connection's bytes (a Kestrel connection middleware on every endpoint, including --urls and
    /// tests' UseKestrel) and attributes them to transports and sessions (a middleware placed first by a startup filter).
    /// </summary>
    public static WebApplicationBuilder AddWireMetering(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddValidatedOptions<MeteringOptions, MeteringOptionsValidator>(builder.Configuration.GetSection(MeteringOptions.Section));
        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<WireMeter>();
        services.AddSingleton<IStartupFilter, MeteringStartupFilter>();
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, MeteringJson.Default));
        // Endpoint defaults apply to every endpoint Kestrel creates; note a later ConfigureEndpointDefaults call replaces this one.
        builder.WebHost.ConfigureKestrel(k => k.ConfigureEndpointDefaults(listen => listen.Use(next =>
        {
            var meter = listen.ApplicationServices.GetRequiredService<WireMeter>();
            return meter.Enabled ? ConnectionMetering.Wrap(next, meter) : next;
        })));
        return builder;
    }

    private sealed class MeteringStartupFilter(IOptions<MeteringOptions> options) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            if (options.Value.Enabled) app.UseMiddleware<MeteringMiddleware>();
            next(app);
        };
    }
}
