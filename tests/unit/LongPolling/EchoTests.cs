using System.Net;
using PushCompare.UnitTests.Infrastructure;

namespace PushCompare.UnitTests.LongPolling;

/// <summary>The seed's conversation over the fallback: POST the message, GET the reply.</summary>
public sealed class EchoTests(ShortPollApp app) : IClassFixture<ShortPollApp>
{
    private readonly HttpClient _http = app.CreateClient();

    [Fact]
    public async Task Posted_message_is_answered_with_the_Received_prefix_on_the_next_poll()
    {
        var session = await _http.OpenSessionAsync();
        Assert.Equal("received", session.Body.GetProperty("echo").GetString());

        await _http.SendAcceptedAsync(session.Id, "Hello, world!");

        var batch = await _http.PollBatchAsync(session.Id, 0);
        Assert.Equal(1, batch.Cursor);
        Assert.Equal(["Received: Hello, world!"], batch.Messages);
    }

    [Fact]
    public async Task Exact_mode_answers_with_the_message_itself()
    {
        var session = await _http.OpenSessionAsync("?echo=exact");
        Assert.Equal("exact", session.Body.GetProperty("echo").GetString());

        await _http.SendAcceptedAsync(session.Id, "Hello, world!");

        Assert.Equal(["Hello, world!"], (await _http.PollBatchAsync(session.Id, 0)).Messages);
    }

    [Fact]
    public async Task Non_ascii_text_round_trips_as_UTF8()
    {
        var session = await _http.OpenSessionAsync("?echo=exact");

        await _http.SendAcceptedAsync(session.Id, "ünïcødé ✓ 🚀");

        Assert.Equal(["ünïcødé ✓ 🚀"], (await _http.PollBatchAsync(session.Id, 0)).Messages);
    }

    [Theory]
    [InlineData("shout")]
    [InlineData("exactly")]
    public async Task Unknown_echo_mode_is_400_problem(string mode)
    {
        var response = await _http.PostAsync($"/poll?echo={mode}", content: null);

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains($"echo='{mode}'", ProblemAssert.Detail(problem));
    }
}
