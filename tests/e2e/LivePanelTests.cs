using static Microsoft.Playwright.Assertions;

namespace PushCompare.E2ETests;

/// <summary>The live panel keeps a column per transport: the current connection's figures live, the previous ones final.</summary>
[Collection(BrowserCollection.Name)]
public sealed class LivePanelTests(BrowserFixture browser) : IAsyncLifetime
{
    private EchoPage _echo = null!;

    public async Task InitializeAsync() => _echo = new EchoPage(await browser.NewPageAsync());

    public Task DisposeAsync() => _echo.Page.Context.CloseAsync();

    [Fact]
    public async Task Each_transport_keeps_its_own_column_side_by_side()
    {
        var page = _echo.Page;
        await _echo.OpenAsync("websocket");
        await _echo.SendAsync("over the socket");
        await Expect(page.GetByTestId("live-websocket-messagesOut")).ToHaveAttributeAsync("data-value", "1");
        await Expect(page.GetByTestId("live-websocket-requests")).ToHaveAttributeAsync("data-value", "1");
        await Expect(page.GetByTestId("live-websocket-state")).ToHaveAttributeAsync("data-state", "live");
        await Expect(page.GetByTestId("live-longpoll-state")).ToHaveAttributeAsync("data-state", "unused");
        await Expect(page.GetByTestId("browser-websocket-messagesReceived")).ToHaveAttributeAsync("data-value", "1");

        await _echo.Transport("longpoll").CheckAsync();
        await _echo.ExpectOpenAsync();
        await _echo.SendAsync("over polling");

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
}
