using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

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

    /// <summary>Binds <typeparamref name="TOptions"/> to a configuration section and validates it at start-up with a source-generated validator.</summary>
    public static IServiceCollection AddValidatedOptions<TOptions, TValidator>(this IServiceCollection services, IConfigurationSection section)
        where TOptions : class
        where TValidator : class, IValidateOptions<TOptions>
    {
        services.AddOptions<TOptions>().Bind(section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TOptions>, TValidator>();
        return services;
    }
}
