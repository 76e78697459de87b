using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Transforms;

namespace PushCompare.Gateway;

/// <summary>
/// YARP's configuration, built from <see cref="GatewayOptions"/>: one catch-all route to one cluster of the instances,
/// round-robin with no session affinity (so consecutive polls of one session land on different instances: the hard
/// case), active health checks on <c>/readyz</c>, and the browser's own Host passed through, so the instances' origin
/// check compares the browser's Origin with the address the browser used.
/// </summary>
internal sealed class GatewayConfig(IOptions<GatewayOptions> options) : IProxyConfigProvider
{
    public const string ClusterId = "instances";
    public const string ReadyPath = "/readyz";

    private readonly Lazy<Snapshot> _config = new(() => Build(options.Value));

    public IProxyConfig GetConfig() => _config.Value;

    private static Snapshot Build(GatewayOptions o)
    {
        var route = new RouteConfig
        {
            RouteId = "all",
            ClusterId = ClusterId,
            Match = new RouteMatch { Path = "{**catch-all}" },
        }.WithTransformUseOriginalHostHeader(useOriginal: true);

        var cluster = new ClusterConfig
        {
            ClusterId = ClusterId,
            LoadBalancingPolicy = LoadBalancingPolicies.RoundRobin,
            SessionAffinity = null, // none, on purpose: any instance must answer any request of any session
            HealthCheck = new HealthCheckConfig
            {
                Active = new ActiveHealthCheckConfig
                {
                    Enabled = true,
                    Interval = o.HealthCheckInterval,
                    Timeout = o.HealthCheckTimeout,
                    Policy = InstanceHealthPolicy.PolicyName, // the consecutive-failures rule, logged per instance
                    Path = ReadyPath,
                },
            },
            Metadata = new Dictionary<string, string>
            {
                ["ConsecutiveFailuresHealthPolicy.Threshold"] = o.FailuresBeforeRemoval.ToString(System.Globalization.CultureInfo.InvariantCulture),
            },
            // Responses are streamed as they come (YARP never buffers them), so SSE events and held polls pass at once.
            HttpRequest = new Yarp.ReverseProxy.Forwarder.ForwarderRequestConfig { ActivityTimeout = o.ActivityTimeout },
            Destinations = o.Destinations.Select((address, i) => (address, i))
                .ToDictionary(d => $"web{d.i + 1}", d => new DestinationConfig { Address = d.address }),
        };
        return new Snapshot([route], [cluster]);
    }

    private sealed class Snapshot(IReadOnlyList<RouteConfig> routes, IReadOnlyList<ClusterConfig> clusters) : IProxyConfig
    {
        public IReadOnlyList<RouteConfig> Routes => routes;
        public IReadOnlyList<ClusterConfig> Clusters => clusters;
        public IChangeToken ChangeToken { get; } = new CancellationChangeToken(CancellationToken.None); // never changes
    }
}
