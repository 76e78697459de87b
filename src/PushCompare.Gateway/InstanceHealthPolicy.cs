using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace PushCompare.Gateway;

/// <summary>
/// The gateway's active health policy: YARP's own consecutive-failures rule, logged the way a person watching a cluster
/// reads it. A probe (one per instance per <see cref="GatewayOptions.HealthCheckInterval"/>) is a Debug line; an instance
/// entering rotation is an Information line, leaving it a Warning. YARP's own per-probe lines are filtered out in
/// appsettings.json ("Yarp.ReverseProxy.Health"), so the cluster's ready line is not buried under them.
/// </summary>
internal sealed partial class InstanceHealthPolicy(IServiceProvider services, IOptions<GatewayOptions> options, ILogger<InstanceHealthPolicy> logger)
    : IActiveHealthCheckPolicy
{
    public const string PolicyName = "InstanceRotation";

    private IActiveHealthCheckPolicy? _rule;

    public string Name => PolicyName;

    public void ProbingCompleted(ClusterState cluster, IReadOnlyList<DestinationProbingResult> probingResults)
    {
        // Resolved on first use: every policy is a singleton of the same service, this one among them.
        var rule = _rule ??= services.GetServices<IActiveHealthCheckPolicy>().Single(p => p.Name == HealthCheckConstants.ActivePolicy.ConsecutiveFailures);
        var before = new DestinationHealth[probingResults.Count];
        for (int i = 0; i < probingResults.Count; i++)
        {
            var probe = probingResults[i];
            before[i] = probe.Destination.Health.Active;
            Probed(logger, probe.Destination.DestinationId, Address(probe.Destination), Outcome(probe));
        }
        rule.ProbingCompleted(cluster, probingResults);
        for (int i = 0; i < probingResults.Count; i++)
        {
            var (probe, now) = (probingResults[i], probingResults[i].Destination.Health.Active);
            if (now == before[i]) continue;
            if (now == DestinationHealth.Healthy) InRotation(logger, probe.Destination.DestinationId, Address(probe.Destination), Outcome(probe));
            else if (now == DestinationHealth.Unhealthy)
                OutOfRotation(logger, probe.Destination.DestinationId, Address(probe.Destination), options.Value.FailuresBeforeRemoval, Outcome(probe));
        }
    }

    private static string Address(DestinationState destination) => destination.Model.Config.Address;

    private static string Outcome(DestinationProbingResult probe) =>
        probe.Response is { } response ? $"{(int)response.StatusCode} {response.ReasonPhrase}"
        : probe.Exception is { } ex ? ex.GetBaseException().Message
        : "no answer";

    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "Probed {Instance} ({Address}) /readyz: {Outcome}")]
    private static partial void Probed(ILogger logger, string instance, string address, string outcome);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Instance {Instance} ({Address}) is in rotation: /readyz answered {Outcome}")]
    private static partial void InRotation(ILogger logger, string instance, string address, string outcome);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning,
        Message = "Instance {Instance} ({Address}) is out of rotation: /readyz failed {Failures} time(s) in a row (last: {Outcome}); it gets no new requests until a probe passes")]
    private static partial void OutOfRotation(ILogger logger, string instance, string address, int failures, string outcome);
}
