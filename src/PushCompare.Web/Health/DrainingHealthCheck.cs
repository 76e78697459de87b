using Microsoft.Extensions.Diagnostics.HealthChecks;
using PushCompare.Web.Messaging;

namespace PushCompare.Web.Health;

/// <summary>Ready until shutdown begins: from SIGTERM on, <c>/readyz</c> fails so a load balancer stops sending new requests.</summary>
internal sealed class DrainingHealthCheck(ServiceShutdown shutdown) : IHealthCheck
{
    public const string Name = "draining";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(shutdown.Draining.IsCancellationRequested
            ? HealthCheckResult.Unhealthy("The instance is shutting down: it finishes what it has and takes no new work.")
            : HealthCheckResult.Healthy("Not shutting down."));
}
