using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace PushCompare.E2ETests;

/// <summary>The seed's echo test, clicked through in a real Chromium on each transport.</summary>
[Collection(BrowserCollection.Name)]
public sealed class EchoPageTests(BrowserFixture browser) : IAsyncLifetime
{
    private EchoPage _echo = null!;

    public async Task InitializeAsync() => _echo = new EchoPage(await browser.NewPageAsync());

    public Task DisposeAsync() => _echo.Page.Context.CloseAsync();

    [Theory]
    [InlineData("websocket", "/ws")]
    [InlineData("longpoll", "/poll")]
    [InlineData("shortpoll", "/poll?wait=0")]
    [InlineData("sse", "/sse")]
    public async Task Send_logs_the_sent_message_and_the_servers_reply(string transport, string endpoint)
    {
        await _echo.OpenAsync(transport);
        await Expect(_echo.Transport(transport)).ToBeCheckedAsync();
        await Expect(_echo.EventsWith("open — connected to")).ToContainTextAsync(endpoint);
        await Expect(_echo.Message).ToHaveValueAsync("Hello, world!");

        await _echo.Send.ClickAsync();

        await Expect(_echo.ReceivedExactly("Received: Hello, world!")).ToHaveCountAsync(1);
        await Expect(_echo.Sent).ToHaveCountAsync(1);
        await Expect(_echo.Sent.Locator(".text")).ToHaveTextAsync("Hello, world!");
        await Expect(_echo.Received.Locator("time")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^\d\d:\d\d:\d\d\.\d\d\d$"));
        await _echo.ScreenshotAsync($"echo-{transport}-1280x800");
    }

    [Theory]
    [InlineData("websocket")]
    [InlineData("longpoll")]
    [InlineData("shortpoll")]
    [InlineData("sse")]
    public async Task Enter_in_the_message_box_sends(string transport)
    {
        await _echo.OpenAsync(transport);

        await _echo.Message.FillAsync("sent with Enter");
        await _echo.Message.PressAsync("Enter");

        await Expect(_echo.ReceivedExactly("Received: sent with Enter")).ToHaveCountAsync(1);
    }

    [Fact]
    public async Task Absent_transport_parameter_means_websocket()
    {
        await _echo.OpenAsync(transport: null);

        await Expect(_echo.Transport("websocket")).ToBeCheckedAsync();
        await Expect(_echo.Transport("longpoll")).Not.ToBeCheckedAsync();
        await Expect(_echo.Transport("shortpoll")).Not.ToBeCheckedAsync();
        await Expect(_echo.Transport("sse")).Not.ToBeCheckedAsync();
        await Expect(_echo.EventsWith("open — connected to ws://")).ToHaveCountAsync(1);
        await Expect(_echo.EventsWith("does not offer")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task An_unknown_transport_parameter_means_websocket_and_the_log_says_so()
    {
        await _echo.OpenAsync(transport: "bogus");

        await Expect(_echo.Transport("websocket")).ToBeCheckedAsync();
        var warning = _echo.EventsWith("the address asks for transport “bogus”, which this page does not offer: using WebSocket", via: "Page");
        await Expect(warning).ToHaveCountAsync(1);
        await Expect(warning).ToContainTextAsync("websocket, longpoll, shortpoll, sse, auto");
        await Expect(warning).ToHaveAttributeAsync("data-kind", "warning");
    }

    [Fact]
    public async Task Switching_transport_closes_the_old_connection_opens_the_new_one_and_updates_the_url()
    {
        await _echo.OpenAsync("websocket");
        await _echo.Send.ClickAsync();
        await Expect(_echo.ReceivedExactly("Received: Hello, world!")).ToHaveCountAsync(1);

        await _echo.Transport("longpoll").CheckAsync();

        await _echo.ExpectOpenAsync();
        await Expect(_echo.Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex(@"\?transport=longpoll$"));
        var oldClose = _echo.EventsWith("close — code 1000 “Switching to Long polling”, clean", via: "WebSocket");
        var newOpen = _echo.EventsWith("open — connected to http", via: "Long polling");
        await Expect(oldClose).ToHaveCountAsync(1);
        await Expect(newOpen).ToHaveCountAsync(1);
        var events = await _echo.Events.Locator(".text").AllTextContentsAsync();
        Assert.True(IndexOf(events, "close — code 1000") < IndexOf(events, "connected to http"), string.Join("\n", events));

        await _echo.Send.ClickAsync();
        await Expect(_echo.ReceivedExactly("Received: Hello, world!")).ToHaveCountAsync(2);
        await Expect(_echo.Received.Locator(".via")).ToHaveTextAsync(["WebSocket", "Long polling"]);
        await _echo.ScreenshotAsync("echo-both-transports-1280x800");

        // And back again: the polling session is closed the same way.
        await _echo.Transport("websocket").CheckAsync();
        await _echo.ExpectOpenAsync();
        await Expect(_echo.EventsWith("session closed — DELETE /poll/{id} ended it (code 1000 “Switching to WebSocket”, clean)", via: "Long polling")).ToHaveCountAsync(1);
        await Expect(_echo.EventsWith("open — connected to ws://", via: "WebSocket")).ToHaveCountAsync(2);
        await Expect(_echo.Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex(@"\?transport=websocket$"));
    }

    [Fact]
    public async Task Switching_to_and_from_server_sent_events_closes_each_connection_cleanly()
    {
        await _echo.OpenAsync("websocket");
        await _echo.Send.ClickAsync();
        await Expect(_echo.ReceivedExactly("Received: Hello, world!")).ToHaveCountAsync(1);

        await _echo.Transport("sse").CheckAsync();

        await _echo.ExpectOpenAsync();
        await Expect(_echo.Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex(@"\?transport=sse$"));
        await Expect(_echo.EventsWith("close — code 1000 “Switching to Server-Sent Events”, clean", via: "WebSocket")).ToHaveCountAsync(1);
        await Expect(_echo.EventsWith("open — connected to http", via: "Server-Sent Events")).ToContainTextAsync("/sse");
        await Expect(_echo.Page.GetByTestId("transport-hint")).ToContainTextAsync("POST /sse opens a session");
        await _echo.SendAsync("over the stream");
        await Expect(_echo.ReceivedExactly("Received: over the stream")).ToHaveCountAsync(1);
        await Expect(_echo.Received.Locator(".via")).ToHaveTextAsync(["WebSocket", "Server-Sent Events"]);

        // And away again: the session is closed as the others are, with the page's code and reason, cleanly.
        await _echo.Transport("longpoll").CheckAsync();
        await _echo.ExpectOpenAsync();
        await Expect(_echo.EventsWith("session closed — DELETE /sse/{id} ended it (code 1000 “Switching to Long polling”, clean)", via: "Server-Sent Events")).ToHaveCountAsync(1);
        await Expect(_echo.Page.GetByTestId("live-sse-state")).ToHaveTextAsync("closed · final");
        await Expect(_echo.Page.GetByTestId("live-sse-messagesOut")).ToHaveAttributeAsync("data-value", "1");
        await _echo.SendAsync("polled again");
        await Expect(_echo.ReceivedExactly("Received: polled again")).ToHaveCountAsync(1);
        await Expect(_echo.Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex(@"\?transport=longpoll$"));
    }

    [Fact]
    public async Task Arrow_keys_on_the_transport_switch_change_transport()
    {
        await _echo.OpenAsync("websocket");

        await _echo.Transport("websocket").FocusAsync();
        await _echo.Page.Keyboard.PressAsync("ArrowRight");

        await Expect(_echo.Transport("longpoll")).ToBeCheckedAsync();
        await Expect(_echo.Transport("longpoll")).ToBeFocusedAsync();
        await _echo.ExpectOpenAsync();
        await Expect(_echo.EventsWith("open — connected to http", via: "Long polling")).ToHaveCountAsync(1);
    }

    [Fact]
    public async Task The_page_fits_a_phone_screen_without_sideways_scrolling()
    {
        var phone = new EchoPage(await browser.NewPageAsync(390, 844));
        try
        {
            await phone.OpenAsync("longpoll");
            await phone.Send.ClickAsync();
            await Expect(phone.ReceivedExactly("Received: Hello, world!")).ToHaveCountAsync(1);

            Assert.True(await phone.Page.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"));
            foreach (var control in new[] { phone.Transport("websocket"), phone.Transport("longpoll"), phone.Transport("shortpoll"), phone.Transport("sse"), phone.Status, phone.Connect, phone.Disconnect, phone.Message, phone.Send })
            {
                var box = await control.BoundingBoxAsync();
                Assert.NotNull(box);
                Assert.InRange(box.X, 0, 390 - box.Width);
            }
            await phone.ScreenshotAsync("echo-longpoll-390x844");
        }
        finally
        {
            await phone.Page.Context.CloseAsync();
        }
    }

    [Theory]
    [InlineData("websocket")]
    [InlineData("longpoll")]
    [InlineData("shortpoll")]
    [InlineData("sse")]
    public async Task Disconnect_closes_and_connect_opens_again(string transport)
    {
        await _echo.OpenAsync(transport);
        await Expect(_echo.Connect).ToBeDisabledAsync();
        await Expect(_echo.Disconnect).ToBeEnabledAsync();

        await _echo.Disconnect.ClickAsync();

        await Expect(_echo.Status).ToHaveAttributeAsync("data-state", "closed");
        await Expect(_echo.Status).ToHaveTextAsync("Closed");
        await Expect(_echo.EventsWith("code 1000 “Disconnect clicked”, clean")).ToHaveCountAsync(1);
        await Expect(_echo.Connect).ToBeEnabledAsync();
        await Expect(_echo.Disconnect).ToBeDisabledAsync();
        await Expect(_echo.Send).ToBeDisabledAsync();

        await _echo.Connect.ClickAsync();

        await _echo.ExpectOpenAsync();
        await Expect(_echo.EventsWith("open — connected to")).ToHaveCountAsync(2);
        await _echo.Send.ClickAsync();
        await Expect(_echo.ReceivedExactly("Received: Hello, world!")).ToHaveCountAsync(1);
    }

    [Fact]
    public async Task Clear_log_empties_the_log()
    {
        await _echo.OpenAsync("websocket");
        await Expect(_echo.Log.Locator("li")).Not.ToHaveCountAsync(0);

        await _echo.Page.GetByTestId("clear-log").ClickAsync();

        await Expect(_echo.Log.Locator("li")).ToHaveCountAsync(0);
    }

    private static int IndexOf(IReadOnlyList<string> texts, string part)
    {
        for (int i = 0; i < texts.Count; i++)
        {
            if (texts[i].Contains(part, StringComparison.Ordinal)) return i;
        }
        return -1;
    }
}
