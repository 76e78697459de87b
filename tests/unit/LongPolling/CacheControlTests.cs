using System.Net;
using PushCompare.UnitTests.Infrastructure;

namespace PushCompare.UnitTests.LongPolling;

/// <summary>Polling answers are live data: no browser or proxy may cache one, whatever its status.</summary>
public sealed class CacheControlTests(ShortPollApp app) : IClassFixture<ShortPollApp>
{
    private readonly HttpClient _http = app.CreateClient();

    [Fact]
    public async Task Every_poll_endpoint_answer_is_no_store()
    {
        var session = await _http.OpenSessionAsync();
        var responses = new List<(string What, HttpStatusCode Expected, HttpResponseMessage Response)>
        {
            ("open", HttpStatusCode.Created, session.Response),
            ("send", HttpStatusCode.Accepted, await _http.SendAsync(session.Id, "hi")),
            ("poll with messages", HttpStatusCode.OK, await _http.PollAsync(session.Id, 0)),
            ("poll timed out", HttpStatusCode.NoContent, await _http.PollAsync(session.Id, 1)),
            ("bad cursor", HttpStatusCode.BadRequest, await _http.GetAsync($"/poll/{session.Id}?cursor=x")),
            ("bad echo mode", HttpStatusCode.BadRequest, await _http.PostAsync("/poll?echo=nope", null)),
            ("wrong content type", HttpStatusCode.UnsupportedMediaType, await _http.PostAsync($"/poll/{session.Id}", new ByteArrayContent([1]))),
            ("unknown session", HttpStatusCode.NotFound, await _http.PollAsync("abc", 0)),
            ("close", HttpStatusCode.NoContent, await _http.DeleteSessionAsync(session.Id)),
            ("closed session", HttpStatusCode.Gone, await _http.PollAsync(session.Id, 1)),
        };

        Assert.All(responses, r =>
        {
            Assert.True(r.Expected == r.Response.StatusCode, $"{r.What}: expected {(int)r.Expected}, got {(int)r.Response.StatusCode}");
            Assert.True(r.Response.Headers.CacheControl?.NoStore == true, $"{r.What} ({(int)r.Expected}) lacks Cache-Control: no-store");
        });
    }

    [Fact]
    public async Task Wrong_method_answer_is_no_store_too()
    {
        var session = await _http.OpenSessionAsync();

        var response = await _http.PutAsync($"/poll/{session.Id}", new StringContent("x"));

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.True(response.Headers.CacheControl?.NoStore == true,
            $"405 from PUT /poll/{{id}} lacks Cache-Control: no-store (got '{response.Headers.CacheControl}')");
    }

    [Fact]
    public async Task Routing_refusals_are_no_store_but_the_page_is_cacheable()
    {
        var nothingHere = await _http.GetAsync("/poll/abc/def");
        var page = await _http.GetAsync("/");

        Assert.Equal(HttpStatusCode.NotFound, nothingHere.StatusCode);
        Assert.True(nothingHere.Headers.CacheControl?.NoStore == true, $"404 from GET /poll/abc/def lacks Cache-Control: no-store (got '{nothingHere.Headers.CacheControl}')");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Null(page.Headers.CacheControl); // no-store is what an endpoint declares, not a rule for every answer
    }
}
