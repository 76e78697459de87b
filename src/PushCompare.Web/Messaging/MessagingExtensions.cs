using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using PushCompare.Serving;

namespace PushCompare.Web.Messaging;

public static class MessagingExtensions
{
    /// <summary>Options shared by all transports, validated when the app starts so a bad appsettings.json fails fast.</summary>
    public static IServiceCollection AddMessaging(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<MessagingOptions, MessagingOptionsValidator>(configuration.GetSection(MessagingOptions.Section));
        services.TryAddSingleton(TimeProvider.System); // tests swap in a fake clock
        services.AddSingleton<ServiceShutdown>();
        services.AddHostedService(sp => sp.GetRequiredService<ServiceShutdown>());
        return services;
    }
}
