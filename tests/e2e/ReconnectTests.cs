using Microsoft.Playwright;
using PushCompare.Hosting;
using static Microsoft.Playwright.Assertions;

namespace PushCompare.E2ETests;

/// <summary>
/// The page reconnects by itself when its server dies (<c>kill -9</c>) and comes back on the same port, on
/// every transport, and says so in its log; a person's own Disconnect or switch never reconnects.
/// </summary>
[Collection(ComparisonBrowserCollection.Name)]
public sealed class ReconnectTests(BrowserFixture browser)
{
    private static readonly LocatorAssertionsToHaveCountOptions Restarted = new() { Timeout = 90_000 }; // a process start on a busy machine

    [Theory]
    [InlineData("websocket")]
    [InlineData("longpoll")]
    [InlineData("sse")]
    public async Task When_the_server_dies_and_comes_back_the_page_reconnects_by_itself_and_echoes_again(string transport)
    {
        var (first, address) = await StartAppAsync(port: 0);
        await using var firstApp = first;
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = address.ToString() });
        try
        {
            var page = new EchoPage(await context.NewPageAsync());
            await page.OpenAsync(transport);
            await page.SendAsync("before");
            await Expect(page.ReceivedExactly("Received: before")).ToHaveCountAsync(1);

            first.Kill();
            await first.WaitForExitAsync();
            var (second, _) = await StartAppAsync(address.Port);
            await using var secondApp = second;

            await Expect(page.EventsWith("connection lost")).Not.ToHaveCountAsync(0, new() { Timeout = 90_000 });
            await Expect(page.EventsWith("reconnecting in 1 s")).ToHaveCountAsync(1); // the first wait is the short one
            await Expect(page.EventsWith("reconnected")).ToHaveCountAsync(1, Restarted);
            await page.ExpectOpenAsync();
            await page.SendAsync("after");
            await Expect(page.ReceivedExactly("Received: after")).ToHaveCountAsync(1);
        }
        finally
        {
            await context.CloseAsync();
        }
    }

    [Fact]
    public async Task Disconnect_and_a_switch_close_without_reconnecting()
    {
        var page = new EchoPage(await browser.NewPageAsync());
        await page.OpenAsync("websocket");

        await page.Transport("longpoll").CheckAsync(); // the switch closes the WebSocket with 1000
        await Expect(page.EventsWith("close — code 1000", "WebSocket")).ToHaveCountAsync(1);
        await page.ExpectOpenAsync();
        await page.Disconnect.ClickAsync();
        await Expect(page.EventsWith("session closed — DELETE /poll/{id} ended it (code 1000", "Long polling")).ToHaveCountAsync(1);

        // The decision is taken in the close handler, before the close entry is visible: nothing was scheduled.
        await Expect(page.EventsWith("connection lost")).ToHaveCountAsync(0);
        await Expect(page.Status).ToHaveAttributeAsync("data-state", "closed");
    }

    // The built app as a process, serving the page's files from the source tree, at a free port or the one given.
    private static Task<RunningApp> StartAppAsync(int port)
    {
        var assembly = typeof(ReconnectTests).Assembly;
        return DotnetApp.StartAsync("the app", DotnetApp.BuildMetadata(assembly, "PushCompare.WebDll")!,
            [$"--webroot={DotnetApp.BuildMetadata(assembly, "PushCompare.WebRoot")}"], [], CancellationToken.None, port);
    }
}
