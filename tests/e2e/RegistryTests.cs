using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace PushCompare.E2ETests;

/// <summary>
/// The page's transports are the server's: the switch (and so the live columns and the comparison run) lists
/// exactly the registry's transports, in its order, under its labels — a new transport cannot be half added — and then
/// Auto, which is no transport of the server's: it carries its session on theirs (its figures are their parts).
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class RegistryTests(BrowserFixture browser)
{
    [Fact]
    public async Task The_pages_transports_are_the_registrys_in_order_with_its_labels()
    {
        var page = await browser.NewPageAsync();
        try
        {
            await page.GotoAsync("/");
            var offered = await page.Locator("[data-testid=transport] input").EvaluateAllAsync<string[]>("inputs => inputs.map(i => i.value)");
            var labels = await page.Locator("[data-testid=transport] label").AllTextContentsAsync();

            using var http = new HttpClient { BaseAddress = browser.BaseUrl };
            var transports = (await http.GetFromJsonAsync<JsonNode>("/api/stats"))!["transports"]!.AsObject().Where(t => t.Key != "other").ToList();

            Assert.Equal([.. transports.Select(t => t.Key), "auto"], offered);
            Assert.Equal([.. transports.Select(t => t.Value!["label"]!.GetValue<string>()), "Auto"], labels.Select(l => l.Trim()));
            // Over plain HTTP the page says so, and its server figures need no notice.
            await Microsoft.Playwright.Assertions.Expect(page.GetByTestId("protocol")).ToHaveTextAsync("HTTP/1.1, plain");
            await Microsoft.Playwright.Assertions.Expect(page.GetByTestId("tls-notice")).ToBeHiddenAsync();
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }
}
