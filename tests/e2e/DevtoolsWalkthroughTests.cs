using static Microsoft.Playwright.Assertions;

namespace PushCompare.E2ETests;

/// <summary>
/// Follows README.md's "Compare the request counts yourself" step by step with devtools' Network tab recorded over
/// CDP, and checks after each step the requests the README names, in its order, and that none is red and the console
/// has no error. A change to the page that makes the README wrong fails here.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class DevtoolsWalkthroughTests(BrowserFixture browser) : IAsyncLifetime
{
    private static readonly TimeSpan StepWait = TimeSpan.FromSeconds(15);
    private EchoPage _echo = null!;
    private NetworkLog _network = null!;

    public async Task InitializeAsync()
    {
        var page = await browser.NewPageAsync();
        _network = await NetworkLog.RecordAsync(page);
        _echo = new EchoPage(page);
    }

    public Task DisposeAsync() => _echo.Page.Context.CloseAsync();

    [Fact]
    public async Task Each_readme_step_shows_the_requests_it_names_and_nothing_is_red()
    {
        // 1. The page's own files, then the WebSocket it connects with at once.
        await _echo.OpenAsync(null);
        await _network.SinceAsync(0, rows => rows.Any(r => r.Type == "WebSocket" && r.Status == 101), StepWait);
        var loaded = _network.Since(0);
        Assert.Equal("GET /", loaded[0].Shape);
        Assert.All(loaded.SkipLast(1), r => Assert.Contains(r.Type, new[] { "Document", "Stylesheet", "Script" }));
        Assert.Equal("GET /ws?client (WebSocket) 101", loaded[^1].ToString());
        var webSocket = loaded[^1];

        // 2. Ten sends: nothing more in the list; ten frames each way.
        var mark = _network.Count;
        await SendTenAsync();
        await _network.SinceAsync(0, _ => webSocket.FramesSent == 10 && webSocket.FramesReceived == 10, StepWait);
        Assert.Empty(_network.Since(mark));

        // 3. Long polling: the WebSocket's final figures, the session's POST, a held GET; a send is a POST and ends it.
        mark = _network.Count;
        await _echo.Transport("longpoll").CheckAsync();
        await _echo.ExpectOpenAsync();
        await ExpectRequestsAsync(mark, "GET /api/stats?session (Fetch) 200", "POST /poll (Fetch) 201", "GET /poll/{id}?cursor (Fetch) pending");
        var held = _network.Since(mark)[2];
        mark = _network.Count;
        await _echo.SendAsync("one");
        await Expect(_echo.ReceivedExactly("Received: one")).ToHaveCountAsync(1);
        await ExpectRequestsAsync(mark, "POST /poll/{id}?seq (Fetch) 202", "GET /poll/{id}?cursor (Fetch) pending");
        await ExpectStatusAsync(held, 200);
        held = _network.Since(mark)[1];

        // 4. Short polling: DELETE ends the session and its held GET (204), the final figures, then a GET a second.
        mark = _network.Count;
        await _echo.Transport("shortpoll").CheckAsync();
        await _echo.ExpectOpenAsync();
        await ExpectRequestsAsync(mark, "DELETE /poll/{id} (Fetch) 204", "GET /api/stats?session (Fetch) 200", "POST /poll?wait (Fetch) 201",
            "GET /poll/{id}?cursor (Fetch) 204", "GET /poll/{id}?cursor (Fetch) 204");
        await ExpectStatusAsync(held, 204);

        // 5. Server-Sent Events: the short-polling session ends as above; POST /sse, then one stream starting with a heartbeat.
        mark = _network.Count;
        await _echo.Transport("sse").CheckAsync();
        await _echo.ExpectOpenAsync();
        await _network.SinceAsync(mark, rows => rows.Any(r => r.Type == "EventSource" && r.Events.Count > 0), StepWait);
        var switched = _network.Since(mark);
        // A short poll the switch found in flight finished before the DELETE, so it may stand first.
        var fromSwitch = switched.SkipWhile(r => r.Shape == "GET /poll/{id}?cursor").ToList();
        Assert.All(switched.Take(switched.Count - fromSwitch.Count), r => Assert.Equal(204, r.Status));
        Assert.Equal(["DELETE /poll/{id} (Fetch) 204", "GET /api/stats?session (Fetch) 200", "POST /sse (Fetch) 201", "GET /sse/{id} (EventSource) 200"],
            fromSwitch.Select(r => r.ToString()));
        var stream = fromSwitch[3];
        Assert.Equal("heartbeat", stream.Events[0]);
        mark = _network.Count;
        await SendTenAsync();
        await _network.SinceAsync(mark, rows => rows.Count == 10 && rows.All(r => r.Status is not null), StepWait);
        // The first send acknowledges nothing yet; each later one piggybacks the acknowledgement of the replies so far.
        Assert.Equal(["POST /sse/{id}?seq (Fetch) 202", .. Enumerable.Repeat("POST /sse/{id}?seq&ack (Fetch) 202", 9)],
            _network.Since(mark).Select(r => r.ToString()));
        Assert.Equal(10, stream.Events.Count(e => e == "message"));

        // 6. Refresh: one GET /api/stats, for the one connection whose figures can still change.
        mark = _network.Count;
        await _echo.Page.GetByTestId("live-refresh").ClickAsync();
        await ExpectRequestsAsync(mark, "GET /api/stats?session (Fetch) 200");

        // 7. Disconnect: DELETE ends the session and its stream, then the final figures.
        mark = _network.Count;
        await _echo.DisconnectAsync();
        await ExpectRequestsAsync(mark, "DELETE /sse/{id} (Fetch) 204", "GET /api/stats?session (Fetch) 200");
        await _network.SinceAsync(0, _ => stream.Finished, StepWait);

        Assert.Empty(_network.Red);
        Assert.Empty(_network.ConsoleErrors);
    }

    private async Task SendTenAsync()
    {
        int before = await _echo.Received.CountAsync();
        for (int i = 1; i <= 10; i++)
        {
            await _echo.SendAsync($"message {i}");
            await Expect(_echo.Received).ToHaveCountAsync(before + i);
        }
    }

    // Waits until the step's first requests read as expected (statuses arrive a little after the requests), then checks them.
    private async Task ExpectRequestsAsync(int mark, params string[] expected)
    {
        IEnumerable<string> Actual(IReadOnlyList<NetworkRow> rows) => rows.Take(expected.Length).Select(r => r.ToString());
        try
        {
            await _network.SinceAsync(mark, rows => Actual(rows).SequenceEqual(expected), StepWait);
        }
        catch (TimeoutException)
        {
            // Fall through: the assertion names the difference.
        }
        Assert.Equal(expected, Actual(_network.Since(mark)));
    }

    private Task ExpectStatusAsync(NetworkRow row, int status) => _network.SinceAsync(0, _ => row.Status == status, StepWait)
        .ContinueWith(t => Assert.True(t.IsCompletedSuccessfully, $"{row} never answered {status}"), TaskScheduler.Default);
}
