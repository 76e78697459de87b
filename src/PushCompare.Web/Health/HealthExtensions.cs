using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using PushCompare.Web.Messaging;
using PushCompare.Serving;

namespace PushCompare.Web.Health;

public static class HealthExtensions
{
    public const string LivePath = "/healthz";
    public const string ReadyPath = "/readyz";

    /// <summary>Checks tagged with this take part in <c>/readyz</c> (other features add theirs, e.g. a backplane's).</summary>
    public const string ReadyTag = "ready";

    /// <summary>The framework's health checks, with "draining" (not shutting down) as the first readiness check.</summary>
    public static IServiceCollection AddHealth(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<HealthOptions, HealthOptionsValidator>(configuration.GetSection(HealthOptions.Section));
        services.AddHealthChecks().AddCheck<DrainingHealthCheck>(DrainingHealthCheck.Name, tags: [ReadyTag]);
        // The host's shutdown budget must hold the grace as well as the drain that follows it.
        services.AddOptions<HostOptions>().Configure<IOptions<HealthOptions>>((host, health) => host.ShutdownTimeout += health.Value.DrainGrace);
        return services;
    }

    /// <summary>
    /// <c>GET /healthz</c>: 200 while the process answers (no check runs). <c>GET /readyz</c>: 200 while every check
    /// tagged "ready" passes, else 503; the body names each check's status. Neither is cached.
    /// </summary>
    public static WebApplication MapHealth(this WebApplication app)
    {
        app.MapHealthChecks(LivePath, new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync });
        app.MapHealthChecks(ReadyPath, new HealthCheckOptions { Predicate = check => check.Tags.Contains(ReadyTag), ResponseWriter = WriteAsync });
        return app;
    }

    /// <summary>
    /// On SIGTERM, fail <c>/readyz</c> at once but keep serving for <see cref="HealthOptions.DrainGrace"/>, so a load
    /// balancer's active check takes the instance out of rotation before any connection closes.
    /// </summary>
    public static WebApplication FailReadinessBeforeDraining(this WebApplication app)
    {
        var grace = app.Services.GetRequiredService<IOptions<HealthOptions>>().Value.DrainGrace;
        var time = app.Services.GetRequiredService<TimeProvider>();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(HealthExtensions).FullName!);
        app.Services.GetRequiredService<ServiceShutdown>().BeforeStopping(async cancel =>
        {
            Log.DrainGraceStarted(logger, grace);
            try
            {
                await Task.Delay(grace, time, cancel);
            }
            catch (OperationCanceledException)
            {
                // The host's shutdown timeout ran out first: drain now.
            }
            Log.DrainGraceOver(logger);
        });
        return app;
    }

    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        var answer = new HealthAnswer(report.Status.ToString(),
            report.Entries.ToDictionary(e => e.Key, e => new CheckAnswer(e.Value.Status.ToString(), e.Value.Description)));
        return JsonSerializer.SerializeAsync(context.Response.Body, answer, HealthJson.Default.HealthAnswer, context.RequestAborted);
    }
}
