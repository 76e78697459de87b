using System.Net;
using PushCompare.UnitTests.Infrastructure;

namespace PushCompare.UnitTests.LongPolling;

/// <summary>Ids the server never issued are 404, whether they look like real ids or not; wrong methods are 405.</summary>
public sealed class UnknownSessionTests(ShortPollApp app) : IClassFixture<ShortPollApp>
{
    private readonly HttpClient _http = app.CreateClient();

    public static TheoryData<string> UnknownIds => new()
    {
        "q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6", // well-formed: 32 base64url chars, but never issued
        "abc",
    };

    [Theory]
    [MemberData(nameof(UnknownIds))]
    public async Task Unknown_id_is_404_on_poll_send_and_delete(string id)
    {
        var poll = await ProblemAssert.IsProblemAsync(await _http.PollAsync(id, 0), HttpStatusCode.NotFound);
        await ProblemAssert.IsProblemAsync(await _http.SendAsync(id, "hello?"), HttpStatusCode.NotFound);
        await ProblemAssert.IsProblemAsync(await _http.DeleteSessionAsync(id), HttpStatusCode.NotFound);
        Assert.Contains("POST /poll", ProblemAssert.Detail(poll));
    }

    [Fact]
    public async Task Wrong_method_is_405_problem_with_Allow()
    {
        var session = await _http.OpenSessionAsync();

        var response = await _http.PutAsync($"/poll/{session.Id}", new StringContent("x"));

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.MethodNotAllowed);
        var allowed = response.Content.Headers.Allow;
        Assert.Equal(["DELETE", "GET", "POST"], allowed.Order());
    }

    [Fact]
    public async Task An_unknown_path_is_404_naming_every_endpoint()
    {
        var problem = await ProblemAssert.IsProblemAsync(await _http.GetAsync("/no-such-endpoint"), HttpStatusCode.NotFound);

        var detail = ProblemAssert.Detail(problem);
        foreach (var path in new[] { "/ws", "/poll", "/sse", "/topics/{name}", "/api/stats" }) Assert.Contains(path, detail);
    }
}
