using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using PushCompare.Serving;

namespace PushCompare.Metering;

public static class MeteringExtensions
{
    /// <summary>
    /// Counts every connection's bytes: a Kestrel connection middleware on every endpoint, including --urls and tests'
    /// UseKestrel. <see cref="UseWireMetering"/> then attributes them to transports and sessions.
    /// </summary>
    public static WebApplicationBuilder AddWireMetering(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddValidatedOptions<MeteringOptions, MeteringOptionsValidator>(builder.Configuration.GetSection(MeteringOptions.Section));
        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new TransportRegistry(sp.GetServices<TransportRegistration.Entry>(), sp));
        services.AddSingleton<WireMeter>();
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, MeteringJson.Default));
        // Endpoint defaults apply to every endpoint Kestrel creates, before UseHttps; note a later ConfigureEndpointDefaults
        // call replaces this one. The factory runs when Kestrel builds the endpoint's pipeline, after UseHttps was applied,
        // so the endpoint's display name ("https://…", public ListenOptions.ToString) says whether TLS follows: a
        // plaintext endpoint gets exactly the plaintext meter, nothing more.
        builder.WebHost.ConfigureKestrel(k => k.ConfigureEndpointDefaults(listen => listen.Use(next =>
        {
            var meter = listen.ApplicationServices.GetRequiredService<WireMeter>();
            if (!meter.Enabled) return next;
            return IsTls(listen) ? ConnectionMetering.WrapTls(next, meter) : ConnectionMetering.Wrap(next, meter);
        })));
        return builder;
    }

    private static bool IsTls(Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions listen) =>
        listen.ToString()?.StartsWith("https:", StringComparison.OrdinalIgnoreCase) == true;

    /// <summary>
    /// Binds every request to its connection's meter and offers <see cref="IRequestMetering"/> to the transports. Place
    /// it first: bytes of a request answered before it (by earlier middleware) count as "other".
    /// </summary>
    public static WebApplication UseWireMetering(this WebApplication app)
    {
        if (app.Services.GetRequiredService<IOptions<MeteringOptions>>().Value.Enabled) app.UseMiddleware<MeteringMiddleware>();
        return app;
    }
}
