using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace PushCompare.E2ETests;

/// <summary>Helpers for tests that put faults between the page and the HTTP transports' endpoints with Playwright routes.</summary>
public static partial class PollRoutes
{
    /// <summary>True for /poll/{id} (sends, polls and closes), false for POST /poll and every other URL.</summary>
    public static bool IsSessionUrl(string url) => SessionPath().IsMatch(new Uri(url).AbsolutePath);

    /// <summary>True for /sse/{id} (the stream, sends and closes), false for /sse/{id}/ack, POST /sse and every other URL.</summary>
    public static bool IsSseSessionUrl(string url) => SseSessionPath().IsMatch(new Uri(url).AbsolutePath);

    public static string Query(string url, string name) =>
        Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(new Uri(url).Query).TryGetValue(name, out var value) ? value.ToString() : "";

    /// <summary>An application/problem+json answer, as the server's own errors look.</summary>
    public static RouteFulfillOptions Problem(int status, string detail, Dictionary<string, string>? headers = null) => new()
    {
        Status = status,
        ContentType = "application/problem+json",
        Headers = headers,
        Body = JsonSerializer.Serialize(new { status, title = "Injected by the test", detail }),
    };

    [GeneratedRegex("^/poll/[A-Za-z0-9_-]+$")]
    private static partial Regex SessionPath();

    [GeneratedRegex("^/sse/[A-Za-z0-9_-]+$")]
    private static partial Regex SseSessionPath();
}
