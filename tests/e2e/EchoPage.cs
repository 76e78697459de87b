using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace PushCompare.E2ETests;

/// <summary>The echo page's controls by their data-testid, plus the steps every test repeats.</summary>
public sealed class EchoPage(IPage page)
{
    public IPage Page { get; } = page;
    public ILocator Status => Page.GetByTestId("status");
    public ILocator Message => Page.GetByTestId("message");
    public ILocator Send => Page.GetByTestId("send");
    public ILocator Connect => Page.GetByTestId("connect");
    public ILocator Disconnect => Page.GetByTestId("disconnect");
    public ILocator Log => Page.GetByTestId("log");
    public ILocator Received => Log.Locator("[data-direction=received]");
    public ILocator Sent => Log.Locator("[data-direction=sent]");
    public ILocator Events => Log.Locator("[data-direction=event]");

    public ILocator Transport(string id) => Page.GetByTestId($"transport-{id}");

    /// <summary>Event entries whose text contains <paramref name="text"/>.</summary>
    public ILocator EventsWith(string text) => Events.Filter(new LocatorFilterOptions { HasText = text });

    /// <summary>Event entries containing <paramref name="text"/> that came from the transport labelled <paramref name="via"/>.</summary>
    public ILocator EventsWith(string text, string via) => EventsWith(text).Filter(new LocatorFilterOptions
    {
        Has = Page.Locator(".via", new PageLocatorOptions { HasTextRegex = new Regex($"^{Regex.Escape(via)}$") }),
    });

    /// <summary>Received entries whose text is exactly <paramref name="text"/>.</summary>
    public ILocator ReceivedExactly(string text) =>
        Received.Filter(new LocatorFilterOptions { Has = Page.Locator(".text", new PageLocatorOptions { HasTextRegex = new Regex($"^{Regex.Escape(text)}$") }) });

    /// <summary>Loads the page (?transport=… when given) and waits until its socket is open.</summary>
    public async Task OpenAsync(string? transport)
    {
        await Page.GotoAsync(transport is null ? "/" : $"/?transport={transport}");
        await ExpectOpenAsync();
    }

    public async Task ExpectOpenAsync()
    {
        await Expect(Status).ToHaveAttributeAsync("data-state", "open");
        await Expect(Status).ToHaveTextAsync("Open");
    }

    public async Task SendAsync(string text)
    {
        await Message.FillAsync(text);
        await Send.ClickAsync();
    }

    /// <summary>The reason the page's Disconnect closes with (code 1000); the server echoes both.</summary>
    public const string DisconnectReason = "Disconnect clicked";

    /// <summary>
    /// Loads the page on <paramref name="transport"/> and echoes each message once the previous reply is in; answers
    /// the key of the session's figures that the live panel shows.
    /// </summary>
    public async Task<string> EchoEachAsync(string transport, IReadOnlyList<string> messages)
    {
        await OpenAsync(transport);
        for (int i = 0; i < messages.Count; i++)
        {
            await SendAsync(messages[i]);
            await Expect(Received).ToHaveCountAsync(i + 1);
        }
        await Expect(Received.Locator(".text")).ToHaveTextAsync(messages.Select(t => "Received: " + t).ToArray());
        var cell = Page.GetByTestId($"live-{transport}-session");
        await Expect(cell).Not.ToHaveAttributeAsync("data-value", "");
        return (await cell.GetAttributeAsync("data-value"))!;
    }

    /// <summary>Clicks Disconnect and waits for the clean close (1000, <see cref="DisconnectReason"/>).</summary>
    public async Task DisconnectAsync()
    {
        await Disconnect.ClickAsync();
        // "close — code 1000 …" for a WebSocket, "session closed — DELETE … (code 1000 …)" for the HTTP transports.
        await Expect(EventsWith($"code 1000 “{DisconnectReason}”, clean")).ToHaveCountAsync(1);
    }

    /// <summary>Waits until the element's <c>data-value</c> (a live-panel figure, say) is <paramref name="value"/>.</summary>
    public Task ExpectFigureAsync(string testId, long value) =>
        Expect(Page.GetByTestId(testId)).ToHaveAttributeAsync("data-value", value.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Saves a screenshot under the test output folder (bin/…/TestResults/screenshots), never into the repo.</summary>
    public async Task<string> ScreenshotAsync(string name)
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "TestResults", "screenshots");
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, $"{name}.png");
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = path });
        return path;
    }
}
