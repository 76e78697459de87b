using PushCompare.UnitTests.Infrastructure;
using Xunit.Abstractions;

namespace PushCompare.UnitTests.Reliability;

/// <summary>Real Kestrel (so aborted polls are real TCP aborts), rate limits out of the way of 50 sessions at once.</summary>
public sealed class FaultInjectionApp : AppFactory
{
    public FaultInjectionApp() : base(("LongPolling:PollTimeout", "00:00:02"),
        ("Sessions:MaxBacklogMessages", "100000"), ("Sessions:MaxBacklogBytes", "100000000"))
    {
        StartOnKestrel();
    }

    public HttpClient CreateWireClient() => new(new SocketsHttpHandler { MaxConnectionsPerServer = 4 }) { BaseAddress = KestrelAddress };
}

/// <summary>Issue 3: the long-polling fallback loses and duplicates nothing while polls die mid-response and sends are retried.</summary>
public sealed class FaultInjectionTests(FaultInjectionApp app, ITestOutputHelper output) : IClassFixture<FaultInjectionApp>
{
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task Ten_thousand_messages_through_one_session_arrive_exactly_once_in_order_despite_aborted_polls_and_repeated_sends()
    {
        using var http = app.CreateWireClient();
        using var cancel = new CancellationTokenSource(Bound);

        var run = await new FaultInjectingPollClient(http, new Random(6455), repeatSendRate: 0.10, abortPollRate: 0.10).RunAsync(10_000, cancel.Token);

        output.WriteLine(run.ToString());
        AssertExactlyOnce(run, 10_000);
    }

    [Fact]
    public async Task Fifty_concurrent_sessions_of_200_messages_each_arrive_exactly_once_in_order_despite_faults()
    {
        using var cancel = new CancellationTokenSource(Bound);
        var runs = await Task.WhenAll(Enumerable.Range(0, 50).Select(async i =>
        {
            using var http = app.CreateWireClient();
            return await new FaultInjectingPollClient(http, new Random(i), repeatSendRate: 0.10, abortPollRate: 0.10).RunAsync(200, cancel.Token);
        }));

        var total = new FaultRun(runs.Sum(r => r.Sent), runs.Sum(r => r.SendsRepeated), runs.Sum(r => r.Polls), runs.Sum(r => r.PollsAborted),
            runs.Sum(r => r.Received), runs.Sum(r => r.Duplicated), runs.Sum(r => r.OutOfOrder));
        output.WriteLine(total.ToString());
        foreach (var run in runs) AssertExactlyOnce(run, 200);
    }

    private static void AssertExactlyOnce(FaultRun run, int messages)
    {
        Assert.Equal(messages, run.Received);
        Assert.Equal(0, run.Duplicated);
        Assert.Equal(0, run.OutOfOrder);
        // The faults really happened: otherwise the test would prove nothing.
        Assert.True(run.PollsAborted > 0, $"no poll was aborted: {run}");
        Assert.True(run.SendsRepeated > 0, $"no send was repeated: {run}");
    }
}
