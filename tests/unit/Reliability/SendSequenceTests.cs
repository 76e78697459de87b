using System.Net;
using System.Text;
using PushCompare.UnitTests.Infrastructure;

namespace PushCompare.UnitTests.Reliability;

/// <summary>Client sequence numbers make a retried send idempotent and a skipped one an error.</summary>
public sealed class SendSequenceTests(ShortPollApp app) : IClassFixture<ShortPollApp>
{
    private readonly HttpClient _http = app.CreateClient();

    private Task<HttpResponseMessage> SendAsync(string id, string seq, string text) =>
        _http.PostAsync($"/poll/{id}?seq={seq}", new StringContent(text, Encoding.UTF8, "text/plain"));

    [Fact]
    public async Task A_retried_send_is_acknowledged_again_and_echoed_once()
    {
        var session = await _http.OpenSessionAsync();

        Assert.Equal(HttpStatusCode.Accepted, (await SendAsync(session.Id, "1", "once")).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await SendAsync(session.Id, "1", "once")).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await SendAsync(session.Id, "2", "twice")).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await SendAsync(session.Id, "1", "once")).StatusCode);

        var batch = await _http.PollBatchAsync(session.Id, 0);
        Assert.Equal(["Received: once", "Received: twice"], batch.Messages);
    }

    [Fact]
    public async Task A_skipped_number_gets_409_naming_the_expected_one_and_nothing_is_lost()
    {
        var session = await _http.OpenSessionAsync();
        await SendAsync(session.Id, "1", "first");

        var gap = await SendAsync(session.Id, "3", "third");

        var problem = await ProblemAssert.IsProblemAsync(gap, HttpStatusCode.Conflict);
        Assert.Contains("seq=2", ProblemAssert.Detail(problem));
        Assert.Equal(HttpStatusCode.Accepted, (await SendAsync(session.Id, "2", "second")).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await SendAsync(session.Id, "3", "third")).StatusCode);
        var batch = await _http.PollBatchAsync(session.Id, 0);
        Assert.Equal(["Received: first", "Received: second", "Received: third"], batch.Messages);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("one")]
    [InlineData("1.5")]
    public async Task A_sequence_number_that_is_not_a_positive_integer_gets_400_and_nothing_is_lost(string seq)
    {
        var session = await _http.OpenSessionAsync();
        await SendAsync(session.Id, "1", "kept");

        var problem = await ProblemAssert.IsProblemAsync(await SendAsync(session.Id, seq, "bad"), HttpStatusCode.BadRequest);

        Assert.Contains($"seq='{seq}'", ProblemAssert.Detail(problem));
        Assert.Equal(["Received: kept"], (await _http.PollBatchAsync(session.Id, 0)).Messages);
    }
}
