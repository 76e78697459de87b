namespace PushCompare.BenchTests;

/// <summary>The bench over an emulated link (<c>--link</c>, <c>--rtt</c>...): every reply takes at least the link's round trip.
/// Lower bounds only: a loaded machine is only ever slower.</summary>
public sealed class LinkTests
{
    [Theory]
    [InlineData("websocket")]
    [InlineData("longpoll")]
    [InlineData("sse")]
    public async Task An_echo_over_a_50_ms_link_takes_at_least_50_ms_and_nothing_is_lost(string transport)
    {
        var bench = (await BenchRun.StartAsync("echo", "-t", transport, "-c", "2", "-d", "1.5", "--warmup", "0.5", "--rtt", "50ms")).Passed();
        var run = bench.Single;

        Assert.True(run.Totals.Received > 0);
        Assert.Equal(0, run.Totals.Lost);
        Assert.NotNull(run.Latency);
        Assert.True(run.Latency!.P50Ms >= 50, $"{transport}: median echo {run.Latency.P50Ms} ms over a 50 ms link");
        Assert.Contains("custom: 50 ms round trip", bench.Report!.Settings.LinkText);
    }

    [Fact]
    public async Task A_WebSocket_over_HTTP2_and_TLS_over_the_4g_profile_takes_at_least_its_round_trip()
    {
        var bench = (await BenchRun.StartAsync("echo", "-t", "websocket", "-c", "1", "-d", "1", "--warmup", "0.5", "--link", "4g",
            "--protocol", "h2", "--tls")).Passed();

        Assert.True(bench.Single.Latency!.P50Ms >= 60, $"median echo {bench.Single.Latency.P50Ms} ms over 4g");
    }
}
