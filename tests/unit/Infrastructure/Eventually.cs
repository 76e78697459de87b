namespace PushCompare.UnitTests.Infrastructure;

/// <summary>Waits for state that raises no event (e.g. a session swept in the background), checking until a deadline.</summary>
public static class Eventually
{
    public static readonly TimeSpan DefaultDeadline = TimeSpan.FromSeconds(30); // a hang guard: a passing test never waits it out, and a 2-core box at load 60 needs it

    public static async Task AssertAsync(Func<Task<bool>> condition, string what, TimeSpan? deadline = null)
    {
        var until = DateTime.UtcNow + (deadline ?? DefaultDeadline);
        while (!await condition())
        {
            if (DateTime.UtcNow > until) Assert.Fail($"Timed out waiting until {what}.");
            await Task.Delay(15);
        }
    }

    public static Task AssertAsync(Func<bool> condition, string what, TimeSpan? deadline = null) =>
        AssertAsync(() => Task.FromResult(condition()), what, deadline);

    /// <summary>Guards an await that must finish because of an event: a hang fails the test instead of stalling the run.</summary>
    public static async Task Within(this Task task, string what, TimeSpan? deadline = null)
    {
        try
        {
            await task.WaitAsync(deadline ?? DefaultDeadline);
        }
        catch (TimeoutException) when (!task.IsCompleted)
        {
            throw new Xunit.Sdk.XunitException($"Timed out waiting until {what}.");
        }
    }

    /// <summary>Guards an await that must finish because of an event: a hang fails the test instead of stalling the run.</summary>
    public static async Task<T> Within<T>(this Task<T> task, string what, TimeSpan? deadline = null)
    {
        try
        {
            return await task.WaitAsync(deadline ?? DefaultDeadline);
        }
        catch (TimeoutException) when (!task.IsCompleted)
        {
            throw new Xunit.Sdk.XunitException($"Timed out waiting until {what}.");
        }
    }
}
