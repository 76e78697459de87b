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
