using Microsoft.Extensions.Options;

namespace PushCompare.Web.Sessions;

/// <summary>Frees sessions whose client went away (stopped polling, closed its stream); runs four times per idle timeout (at most every 5 s).</summary>
internal sealed partial class SessionSweeper(SessionStore store, IOptions<MessageSessionOptions> options, TimeProvider time, ILogger<SessionSweeper> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var period = TimeSpan.FromTicks(Math.Clamp(options.Value.IdleTimeout.Ticks / 4, TimeSpan.TicksPerMillisecond * 10, TimeSpan.TicksPerSecond * 5));
        using var timer = new PeriodicTimer(period, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                int removed = store.Sweep();
                if (removed > 0) SessionsRemoved(logger, removed, store.OpenCount);
            }
        }
        catch (OperationCanceledException)
        {
            // Host is stopping.
        }
    }

    [LoggerMessage(EventId = 210, Level = LogLevel.Debug, Message = "Removed {Removed} expired or closed sessions; {Open} open")]
    private static partial void SessionsRemoved(ILogger logger, int removed, int open);
}
