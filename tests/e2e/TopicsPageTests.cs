using static Microsoft.Playwright.Assertions;

namespace PushCompare.E2ETests;

/// <summary>Topics on the page: subscribing through the connect options and publishing from the publish box.</summary>
[Collection(TrafficBrowserCollection.Name)]
public sealed class TopicsPageTests(BrowserFixture browser)
{
    [Theory]
    [InlineData("websocket", "sse")]
    [InlineData("longpoll", "shortpoll")]
    public async Task Two_pages_on_different_transports_subscribed_to_one_topic_both_show_what_one_publishes(string publisherTransport, string otherTransport)
    {
        string topic = $"e2e-{Guid.NewGuid():N}"[..20];
        var publisher = new EchoPage(await browser.NewPageAsync());
        var other = new EchoPage(await browser.NewPageAsync());
        try
        {
            foreach (var (page, transport) in new[] { (publisher, publisherTransport), (other, otherTransport) })
            {
                await page.OpenAsync(transport);
                await page.Page.GetByTestId("topic").FillAsync(topic);
                await page.Page.GetByTestId("topic").PressAsync("Tab"); // change: the page reconnects with ?topic=
                await Expect(page.EventsWith($"topic={topic}")).ToHaveCountAsync(1); // "open — connected to …?topic=…"
                await page.ExpectOpenAsync();
            }

            await publisher.Page.GetByTestId("publish-message").FillAsync("ticker 1");
            await publisher.Page.GetByTestId("publish-send").ClickAsync();

            await Expect(publisher.EventsWith("published “ticker 1”", "Topics")).ToContainTextAsync("2 subscribers");
            await Expect(publisher.ReceivedExactly("ticker 1")).ToHaveCountAsync(1);
            await Expect(other.ReceivedExactly("ticker 1")).ToHaveCountAsync(1);
        }
        finally
        {
            await publisher.Page.Context.CloseAsync();
            await other.Page.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task Without_a_valid_topic_publishing_is_disabled_and_a_hint_says_why()
    {
        var page = new EchoPage(await browser.NewPageAsync());
        try
        {
            await page.OpenAsync("websocket");
            // Without a topic the disabled button says why, and the hint goes once a valid name is typed.
            await Expect(page.Page.GetByTestId("publish-send")).ToBeDisabledAsync();
            await Expect(page.Page.GetByTestId("publish-hint")).ToBeVisibleAsync();
            await Expect(page.Page.GetByTestId("publish-send")).ToHaveAccessibleDescriptionAsync(new System.Text.RegularExpressions.Regex("Publishing needs a topic"));
            await page.Page.GetByTestId("topic").FillAsync("news");
            await Expect(page.Page.GetByTestId("publish-hint")).ToBeHiddenAsync();
            await Expect(page.Page.GetByTestId("publish-send")).ToBeEnabledAsync();

            await page.Page.GetByTestId("topic").FillAsync("-not a topic");
            await Expect(page.Page.GetByTestId("publish-send")).ToBeDisabledAsync();
            await Expect(page.Page.GetByTestId("publish-hint")).ToBeVisibleAsync();
            Assert.False(await page.Page.GetByTestId("topic").EvaluateAsync<bool>("input => input.validity.valid"));
        }
        finally
        {
            await page.Page.Context.CloseAsync();
        }
    }
}
