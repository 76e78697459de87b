namespace PushCompare.Web.Messaging;

/// <summary>
/// The graceful shutdown every transport shares. Host.StopAsync runs StoppingAsync before any StopAsync, in particular
/// before Kestrel's (WebApplication starts the web server last, so it stops it first): clients can still reach the
/// server while transports say goodbye (WebSocket 1001) and drain (long polling delivers what it accepted).
/// </summary>
public sealed class ServiceShutdown : IHostedLifecycleService
{
    // Never disposed: it has no timer, and the host may call StoppingAsync again while the container is being disposed.
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Func<CancellationToken, Task>> _drains = [];

    /// <summary>Fires when shutdown begins: refuse new connections, stop push streams, close what can close at once.</summary>
    public CancellationToken Stopping => _stopping.Token;

    /// <summary>Registers work the host awaits (bounded by its shutdown timeout) before the web server stops.</summary>
    public void OnStopping(Func<CancellationToken, Task> drain)
    {
        lock (_drains) _drains.Add(drain);
    }

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        Task[] drains;
        lock (_drains) drains = [.. _drains.Select(drain => drain(cancellationToken))];
        await Task.WhenAll(drains);
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
