using Microsoft.Playwright;

namespace PushCompare.E2ETests;

/// <summary>Whole-page screenshots under the test output folder (bin/…/TestResults/screenshots), to look at after a run.</summary>
public static class Screenshots
{
    public static async Task SaveAsync(IPage page, string name)
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "TestResults", "screenshots");
        Directory.CreateDirectory(folder);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(folder, $"{name}.png"), FullPage = true });
    }
}
