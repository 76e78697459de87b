using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace PushCompare.E2ETests;

/// <summary>
/// The live panel keeps a column per transport: the current connection's figures, the previous ones final. The
/// browser's figures are live; the server's are read (GET /api/stats) on Refresh, at a close, or with auto-refresh on.
/// </summary>
[Collection(TrafficBrowserCollection.Name)]
public sealed class LivePanelTests(BrowserFixture browser) : IAsyncLifetime
{
    private EchoPage _echo = null!;

    // Every GET /api/stats the page made, from the browser's own request events.
    private readonly StatsReads _reads = new();

    public async Task InitializeAsync()
    {
        _echo = new EchoPage(await browser.NewPageAsync());
        _echo.Page.Request += (_, request) =>
        {
            if (new Uri(request.Url).AbsolutePath == "/api/stats") _reads.Add(PollRoutes.Query(request.Url, "session"));
        };
    }

    public Task DisposeAsync() => _echo.Page.Context.CloseAsync();

    private ILocator Refresh => _echo.Page.GetByTestId("live-refresh");

    private ILocator AutoRefresh => _echo.Page.GetByTestId("live-auto-refresh");

    [Fact]
    public async Task Each_transport_keeps_its_own_column_side_by_side()
    {
        var page = _echo.Page;
        await _echo.OpenAsync("websocket");
        await _echo.SendAsync("over the socket");
        await Expect(page.GetByTestId("browser-websocket-messagesReceived")).ToHaveAttributeAsync("data-value", "1");
        await Refresh.ClickAsync();
        await Expect(page.GetByTestId("live-websocket-messagesOut")).ToHaveAttributeAsync("data-value", "1");
        await Expect(page.GetByTestId("live-websocket-requests")).ToHaveAttributeAsync("data-value", "1");
        await Expect(page.GetByTestId("live-websocket-state")).ToHaveAttributeAsync("data-state", "live");
        await Expect(page.GetByTestId("live-longpoll-state")).ToHaveAttributeAsync("data-state", "unused");

        await _echo.Transport("longpoll").CheckAsync();
        await _echo.ExpectOpenAsync();
        await _echo.SendAsync("over polling");
        await Expect(_echo.ReceivedExactly("Received: over polling")).ToHaveCountAsync(1);
        await Refresh.ClickAsync();

        await Expect(page.GetByTestId("live-longpoll-messagesOut")).ToHaveAttributeAsync("data-value", "1");
        await Expect(page.GetByTestId("live-longpoll-state")).ToHaveAttributeAsync("data-state", "live");
        await Expect(page.GetByTestId("live-websocket-state")).ToHaveAttributeAsync("data-state", "closed");
        await Expect(page.GetByTestId("live-websocket-messagesOut")).ToHaveAttributeAsync("data-value", "1");
        await Expect(page.GetByTestId("live-shortpoll-requests")).ToHaveAttributeAsync("data-value", "");
        // Polling pays requests per message: open, the send, and the polls so far.
        var requests = int.Parse((await page.GetByTestId("live-longpoll-requests").GetAttributeAsync("data-value"))!);
        Assert.True(requests >= 3, $"long polling shows {requests} requests");
        Assert.Equal("n/a", await page.GetByTestId("browser-longpoll-bytesSent").TextContentAsync());
    }

    [Fact]
    public async Task Refresh_reads_each_open_column_once_and_each_close_reads_the_final_figures()
    {
        var page = _echo.Page;
        await _echo.OpenAsync("websocket");
        await Expect(AutoRefresh).Not.ToBeCheckedAsync();
        string ws = await SessionKeyAsync("websocket");
        await EchoAsync("one");
        // The browser's figures follow the messages; the server's wait to be asked for.
        await Expect(page.GetByTestId("browser-websocket-messagesReceived")).ToHaveAttributeAsync("data-value", "1");
        await Expect(page.GetByTestId("live-websocket-messagesOut")).ToHaveAttributeAsync("data-value", "");
        await Expect(page.GetByTestId("live-read-at")).ToHaveTextAsync("Server figures not read yet.");
        Assert.Empty(_reads);

        await Refresh.ClickAsync();
        await Expect(page.GetByTestId("live-websocket-messagesOut")).ToHaveAttributeAsync("data-value", "1");
        await Expect(page.GetByTestId("live-websocket-requests")).ToHaveAttributeAsync("data-value", "1");
        await Expect(page.GetByTestId("live-read-at")).ToHaveTextAsync(new Regex(@"^Server figures read at \d\d:\d\d:\d\d\.\d\d\d\.$"));
        Assert.Equal([ws], _reads);

        // A switch closes the socket: its column is read once more, and its figures are final.
        await _echo.Transport("longpoll").CheckAsync();
        await _echo.ExpectOpenAsync();
        await Expect(page.GetByTestId("live-websocket-state")).ToHaveTextAsync("closed · final");
        string longpoll = await SessionKeyAsync("longpoll");
        await EchoAsync("two");
        Assert.Equal([ws, ws], _reads);

        // Now only the long-polling column can change: one read, for it.
        await Refresh.ClickAsync();
        await Expect(page.GetByTestId("live-longpoll-messagesOut")).ToHaveAttributeAsync("data-value", "1");
        await EchoAsync("three");
        Assert.Equal([ws, ws, longpoll], _reads);

        // Disconnect: the close reads the final figures without a press, and then there is nothing left to read.
        await _echo.Disconnect.ClickAsync();
        await Expect(page.GetByTestId("live-longpoll-state")).ToHaveTextAsync("closed · final");
        await Expect(page.GetByTestId("live-longpoll-messagesOut")).ToHaveAttributeAsync("data-value", "2");
        await Expect(page.GetByTestId("live-websocket-messagesOut")).ToHaveAttributeAsync("data-value", "1");
        await Expect(Refresh).ToBeDisabledAsync();
        Assert.Equal([ws, ws, longpoll, longpoll], _reads);
    }

    [Fact]
    public async Task Refresh_reads_a_closed_column_whose_final_read_failed_along_with_the_open_one()
    {
        var page = _echo.Page;
        bool failed = false;
        // The first read (the WebSocket's close read) fails as a dropped connection would; the rest get through.
        await page.RouteAsync(url => new Uri(url).AbsolutePath == "/api/stats", route =>
        {
            if (failed) return route.FallbackAsync();
            failed = true;
            return route.AbortAsync();
        });
        await _echo.OpenAsync("websocket");
        string ws = await SessionKeyAsync("websocket");
        await EchoAsync("one");
        await _echo.Transport("longpoll").CheckAsync();
        await _echo.ExpectOpenAsync();
        await Expect(page.GetByTestId("live-websocket-state")).ToHaveTextAsync("closed · Failed to fetch");
        string longpoll = await SessionKeyAsync("longpoll");
        await EchoAsync("two");
        Assert.Equal([ws], _reads);

        await Refresh.ClickAsync();
        await Expect(page.GetByTestId("live-websocket-state")).ToHaveTextAsync("closed · final");
        await Expect(page.GetByTestId("live-websocket-messagesOut")).ToHaveAttributeAsync("data-value", "1");
        await Expect(page.GetByTestId("live-longpoll-messagesOut")).ToHaveAttributeAsync("data-value", "1");
        await EchoAsync("three");
        Assert.Equal(3, _reads.Count);
        Assert.Equal(new[] { ws, longpoll }.Order(), _reads.Skip(1).Order()); // one per column that could change, in either order
    }

    [Fact]
    public async Task Auto_refresh_reads_every_second_while_ticked_and_stops_when_unticked()
    {
        var page = _echo.Page;
        // Playwright's clock, installed before the page loads: time flows as usual, and the test can run it ahead.
        await page.Clock.InstallAsync();
        await _echo.OpenAsync("websocket");
        string ws = await SessionKeyAsync("websocket");
        await Expect(page.GetByTestId("live-panel")).ToContainTextAsync("Auto-refresh every second (adds a GET /api/stats per second to the Network tab)");

        await AutoRefresh.CheckAsync();
        await _reads.CountAsync(1);
        await EchoAsync("one");
        await Expect(page.GetByTestId("live-websocket-messagesOut")).ToHaveAttributeAsync("data-value", "1"); // no press needed
        int seen = _reads.Count;
        await _reads.CountAsync(seen + 2);
        Assert.All(_reads, key => Assert.Equal(ws, key));

        // Untick right after a read: the next would be due in a second, and none may come.
        await _reads.CountAsync(_reads.Count + 1);
        await AutoRefresh.UncheckAsync();
        int atUntick = _reads.Count;
        await page.Clock.RunForAsync(2500); // the quiet time after unticking is what is under test: every timer due in it fires
        await EchoAsync("after the quiet time"); // a read started in it has been reported by now
        Assert.Equal(atUntick, _reads.Count);
    }

    private async Task<string> SessionKeyAsync(string transport)
    {
        var cell = _echo.Page.GetByTestId($"live-{transport}-session");
        await Expect(cell).Not.ToHaveAttributeAsync("data-value", "");
        return (await cell.GetAttributeAsync("data-value"))!;
    }

    // Sends `text` and waits for its reply: a request the page made before the send has been reported by then.
    private async Task EchoAsync(string text)
    {
        await _echo.SendAsync(text);
        await Expect(_echo.ReceivedExactly("Received: " + text)).ToHaveCountAsync(1);
    }

    /// <summary>The session keys of the page's GET /api/stats requests, in order; a test can await a count.</summary>
    private sealed class StatsReads : IEnumerable<string>
    {
        private readonly Lock _gate = new();
        private readonly List<string> _keys = [];
        private readonly List<(int Count, TaskCompletionSource Signal)> _waiters = [];

        public int Count
        {
            get { lock (_gate) return _keys.Count; }
        }

        public void Add(string key)
        {
            lock (_gate)
            {
                _keys.Add(key);
                foreach (var waiter in _waiters.Where(w => _keys.Count >= w.Count).ToList())
                {
                    waiter.Signal.TrySetResult();
                    _waiters.Remove(waiter);
                }
            }
        }

        /// <summary>Resolves once <paramref name="count"/> reads have been made.</summary>
        public Task CountAsync(int count)
        {
            var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_gate)
            {
                if (_keys.Count >= count) return Task.CompletedTask;
                _waiters.Add((count, signal));
            }
            return signal.Task.WaitAsync(TimeSpan.FromSeconds(15));
        }

        public IEnumerator<string> GetEnumerator()
        {
            lock (_gate) return _keys.ToList().GetEnumerator();
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
