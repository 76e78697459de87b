using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace PushCompare.UnitTests.Infrastructure;

/// <summary>
/// A fake clock that also says when the app has armed a timer. A test that ends a wait by advancing the clock must
/// advance only once the wait has begun (a timer armed after the advance counts from the advanced time and never fires),
/// so it awaits <see cref="ArmedAsync"/> first, the same way it awaits any other event.
/// </summary>
public sealed class TestClock() : FakeTimeProvider(DateTimeOffset.UtcNow)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<ArmedTimer, TimeSpan> _armed = [];
    private readonly List<(TimeSpan Due, TaskCompletionSource Armed)> _awaited = [];

    /// <summary>Completes once a timer of <paramref name="due"/> is pending: armed and neither fired, changed nor disposed since.</summary>
    public Task ArmedAsync(TimeSpan due)
    {
        lock (_gate)
        {
            if (_armed.ContainsValue(due)) return Task.CompletedTask;
            var armed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _awaited.Add((due, armed));
            return armed.Task.Within($"the app arms a timer of {due}");
        }
    }

    /// <summary>Advances the clock by <paramref name="due"/> once a timer of that length is pending, so that timer fires.</summary>
    public async Task AdvanceArmedAsync(TimeSpan due)
    {
        await ArmedAsync(due);
        Advance(due);
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ArmedTimer(this, () => callback(state));
        timer.Inner = base.CreateTimer(static s => ((ArmedTimer)s!).Fire(), timer, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        timer.Change(dueTime, period);
        return timer;
    }

    // Under the gate, after the fake timer itself is armed: a test that learns of it may advance at once.
    private void Pending(ArmedTimer timer, TimeSpan due)
    {
        if (due <= TimeSpan.Zero) // disarmed (infinite), or due at once
        {
            _armed.Remove(timer);
            return;
        }
        _armed[timer] = due;
        for (int i = _awaited.Count - 1; i >= 0; i--)
        {
            if (_awaited[i].Due != due) continue;
            _awaited[i].Armed.TrySetResult();
            _awaited.RemoveAt(i);
        }
    }

    private sealed class ArmedTimer(TestClock clock, Action callback) : ITimer
    {
        public ITimer Inner { get; set; } = null!;
        private bool _periodic;

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (clock._gate)
            {
                _periodic = period > TimeSpan.Zero;
                bool changed = Inner.Change(dueTime, period);
                clock.Pending(this, dueTime);
                return changed;
            }
        }

        public void Fire()
        {
            if (!_periodic)
            {
                lock (clock._gate) clock.Pending(this, Timeout.InfiniteTimeSpan); // a one-shot timer that fired is no longer pending
            }
            callback();
        }

        public void Dispose()
        {
            lock (clock._gate) clock.Pending(this, Timeout.InfiniteTimeSpan);
            Inner.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}

/// <summary>The app with its time on a <see cref="TestClock"/>: timeouts pass when the test advances the clock, not while it waits.</summary>
public class TestClockApp(params (string Key, string Value)[] settings) : AppFactory(settings)
{
    public TestClock Clock { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureServices(services => services.AddSingleton<TimeProvider>(Clock));
    }
}
