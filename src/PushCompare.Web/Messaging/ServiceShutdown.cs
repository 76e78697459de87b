namespace PushCompare.Web.Messaging;

/// <summary>
/// The graceful shutdown every transport shares. Host.StopAsync runs StoppingAsync before any StopAsync, in particular
/// before Kestrel's (WebApplication starts the web server last, so it stops it first): clients can still reach the
/// server while transports say goodbye (WebSocket 1001) and drain (long polling delivers what it accepted).
/// Two phases: <see cref="Draining"/> fires first (readiness fails) and the work registered with
/// <see cref="BeforeStopping"/> (the drain grace) runs; only then <see cref="Stopping"/> fires and the drains run.
/// </summary>
public sealed class ServiceShutdown : IHostedLifecycleService
{
    // Never disposed: they have no timer, and the host may call StoppingAsync again while the container is being disposed.
    private readonly CancellationTokenSource _draining = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Func<CancellationToken, Task>> _before = [];
    private readonly List<Func<CancellationToken, Task>> _drains = [];

    /// <summary>Fires as soon as shutdown is requested: the instance is no longer ready, though it still serves everything.</summary>
    public CancellationToken Draining => _draining.Token;

    /// <summary>Fires when the drain begins: refuse new connections, stop push streams, close what can close at once.</summary>
    public CancellationToken Stopping => _stopping.Token;

    /// <summary>Registers work the host awaits after <see cref="Draining"/> and before <see cref="Stopping"/> (e.g. a grace period).</summary>
    public void BeforeStopping(Func<CancellationToken, Task> wait)
    {
        lock (_before) _before.Add(wait);
    }

    /// <summary>Registers work the host awaits (bounded by its shutdown timeout) before the web server stops.</summary>
    public void OnStopping(Func<CancellationToken, Task> drain)
    {
        lock (_drains) _drains.Add(drain);
    }

    private Task? _stoppingOnce;

    /// <summary>Runs once: a second call (the host disposing after SIGTERM already stopped it) awaits the first, rather than waiting out the grace again.</summary>
    public Task StoppingAsync(CancellationToken cancellationToken)
    {
        lock (_drains) return _stoppingOnce ??= StopOnceAsync(cancellationToken);
    }

    private async Task StopOnceAsync(CancellationToken cancellationToken)
    {
        await _draining.CancelAsync();
        await RunAllAsync(_before, cancellationToken);
        await _stopping.CancelAsync();
        await RunAllAsync(_drains, cancellationToken);
    }

    private static Task RunAllAsync(List<Func<CancellationToken, Task>> work, CancellationToken cancellationToken)
    {
        Task[] tasks;
        lock (work) tasks = [.. work.Select(run => run(cancellationToken))];
        return Task.WhenAll(tasks);
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
