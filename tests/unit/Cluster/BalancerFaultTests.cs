using PushCompare.UnitTests.Infrastructure;
using Xunit.Abstractions;

namespace PushCompare.UnitTests.Cluster;

/// <summary>
/// The cluster's fault runs through the real load balancers people deploy, running the shipped configurations
/// (deploy/nginx.conf, deploy/haproxy.cfg) exactly, side by side in front of the same instances: round robin with no affinity, 10 % of polls aborted, streams cut and
/// sends repeated, and one instance killed (<c>kill -9</c>) mid-run, lose and duplicate nothing; and a rolling restart
/// (SIGTERM one instance at a time, start it again) through HAProxy, whose active /readyz checks take each instance
/// out of rotation before it stops, fails no request. Each test has a cluster of its own, since it takes instances away.
/// </summary>
[Collection(ClusterFailureCollection.Name)]
public sealed class BalancerFaultTests(ITestOutputHelper output)
{
    // One cluster with both balancers in front (half the clients through each), so the run and the kill cost one
    // cluster's start-up and one run, not two.
    [Fact]
    public Task Through_nginx_and_HAProxy_faults_and_killing_an_instance_mid_run_lose_and_duplicate_nothing() =>
        InstanceFailureTests.KillMidRunAsync(new NginxAndHaproxyCluster(), output);

    [Fact]
    public async Task A_rolling_restart_through_HAProxy_with_its_active_checks_fails_no_request()
    {
        await using var cluster = await InstanceFailureTests.StartClusterAsync(new HaproxyCluster());
        await InstanceFailureTests.UnderLoadFailsNoRequestAsync(cluster, output, async cancel =>
        {
            foreach (var name in cluster.Instances.Select(i => i.Name).ToList())
            {
                var instance = cluster.Instances.Single(i => i.Name == name);
                await InstanceFailureTests.DrainAsync(instance, output, cancel);
                Assert.Equal(0, instance.Process.ExitCode);
                var again = await cluster.StartAgainAsync(instance);
                // Back in rotation: HAProxy's check found it ready and sends it sessions' requests again.
                await Eventually.AssertAsync(async () => await InstanceFailureTests.MessagesOutAsync(again) > 0,
                    $"HAProxy sends {again.Name} requests again after its restart", TimeSpan.FromSeconds(60));
                output.WriteLine($"{again.Name} restarted (pid {again.Process.Pid}) and back in rotation");
            }
        });
    }
}
