using Microsoft.Extensions.Options;

namespace PushCompare.Web.LongPolling;

/// <summary>
/// On SIGTERM, before Kestrel stops (hosted services stop in reverse order, after the web server's was added):
/// drain the polling sessions so every reply accepted with 202 is delivered or named in the 410 that closes the session.
/// </summary>
internal sealed class LongPollingShutdown(PollSessionStore store, IOptions<LongPollingOptions> options) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => store.DrainAsync(options.Value.ShutdownDrainTimeout, cancellationToken);
}
