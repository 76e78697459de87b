using PushCompare.UnitTests.Infrastructure;

namespace PushCompare.UnitTests.LongPolling;

/// <summary>The id is the session's only credential: unguessable, URL-safe, never repeated.</summary>
public sealed class SessionIdTests(ShortPollApp app) : IClassFixture<ShortPollApp>
{
    private readonly HttpClient _http = app.CreateClient();

    [Fact]
    public async Task A_thousand_ids_are_distinct_32_char_base64url()
    {
        // Four clients open 250 sessions each, concurrently, through the real endpoint.
        var batches = await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
        {
            var ids = new List<string>();
            for (int i = 0; i < 250; i++) ids.Add((await _http.OpenSessionAsync()).Id);
            return ids;
        }));
        var all = batches.SelectMany(ids => ids).ToList();

        Assert.Equal(1000, all.Count);
        Assert.Equal(1000, all.Distinct(StringComparer.Ordinal).Count());
        Assert.All(all, id => Assert.Matches("^[A-Za-z0-9_-]{32}$", id));
    }
}
