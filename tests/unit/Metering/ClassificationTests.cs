using Microsoft.AspNetCore.Http;
using PushCompare.Web.Metering;

namespace PushCompare.UnitTests.Metering;

/// <summary>Which transport a request's bytes are counted as, and which session key it carries.</summary>
public sealed class ClassificationTests
{
    [Theory]
    [InlineData("/ws", "", WireTransport.WebSocket, null)]
    [InlineData("/WS", "?push=1000", WireTransport.WebSocket, null)]
    [InlineData("/poll", "", WireTransport.LongPoll, null)]
    [InlineData("/poll/abc", "?cursor=3", WireTransport.LongPoll, "abc")]
    [InlineData("/poll/abc", "?cursor=3&wait=0", WireTransport.LongPoll, "abc")] // the session decides (ShortPollSessionTests)
    [InlineData("/poll", "?wait=0", WireTransport.ShortPoll, null)]
    [InlineData("/poll", "?wait=00", WireTransport.ShortPoll, null)]
    [InlineData("/poll", "?wait=1", WireTransport.LongPoll, null)]
    [InlineData("/poll", "?wait=x", WireTransport.LongPoll, null)]
    [InlineData("/poll/abc", "?wait=1", WireTransport.LongPoll, "abc")]
    [InlineData("/poll/abc/extra", "", WireTransport.LongPoll, null)]
    [InlineData("/polling", "", WireTransport.Other, null)]
    [InlineData("/api/stats", "", WireTransport.Other, null)]
    [InlineData("/", "", WireTransport.Other, null)]
    [InlineData("/app.js", "", WireTransport.Other, null)]
    public void Requests_are_classified_by_path_and_a_sessions_opening_wait(string path, string query, WireTransport expected, string? id)
    {
        var context = new DefaultHttpContext();
        context.Request.Path = path;
        context.Request.QueryString = new QueryString(query);
        Assert.Equal(expected, MeteringMiddleware.Classify(context.Request, out string? pollId));
        Assert.Equal(id, pollId);
    }

    [Theory]
    [InlineData("?client=abc-DEF_123", "abc-DEF_123")]
    [InlineData("?client=", null)]
    [InlineData("?client=a%20b", null)]
    [InlineData("?client=a&client=b", null)]
    [InlineData("", null)]
    public void The_client_key_is_a_short_url_safe_token(string query, string? expected)
    {
        var context = new DefaultHttpContext();
        context.Request.QueryString = new QueryString(query);
        Assert.Equal(expected, MeteringMiddleware.ClientKey(context.Request));
    }

    [Fact]
    public void A_client_key_longer_than_64_characters_is_ignored()
    {
        var context = new DefaultHttpContext();
        context.Request.QueryString = new QueryString("?client=" + new string('k', 65));
        Assert.Null(MeteringMiddleware.ClientKey(context.Request));
    }
}
