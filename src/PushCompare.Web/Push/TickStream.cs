using System.Globalization;

namespace PushCompare.Web.Push;

/// <summary>
/// The server-initiated stream every transport offers (<c>?push=ms</c>): "tick &lt;n&gt; &lt;server unix ms&gt;" every interval,
/// n counting from 1, so a client can check it got each tick once and in order and measure delivery latency.
/// </summary>
public static class TickStream
{
    public static string Format(long n, DateTimeOffset at) =>
        string.Create(CultureInfo.InvariantCulture, $"tick {n} {at.ToUnixTimeMilliseconds()}");

    /// <summary>Delivers ticks until <paramref name="deliver"/> returns false (connection gone) or <paramref name="stop"/> fires.</summary>
    public static async Task RunAsync(TimeSpan interval, TimeProvider time, Func<string, ValueTask<bool>> deliver, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(interval, time);
        long n = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(stop) && await deliver(Format(++n, time.GetUtcNow())))
            {
            }
        }
        catch (OperationCanceledException)
        {
            // Connection closed or server stopping.
        }
    }
}
