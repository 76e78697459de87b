using System.Net;
using System.Text;
using PushCompare.UnitTests.Infrastructure;

namespace PushCompare.UnitTests.LongPolling;

/// <summary>Messaging:MaxMessageBytes (64 here) counts UTF-8 bytes, whether or not the body declares its length.</summary>
public sealed class OversizeTests(SmallMessageApp app) : IClassFixture<SmallMessageApp>
{
    private const int Max = SmallMessageApp.MaxMessageBytes;
    private readonly HttpClient _http = app.CreateClient();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Exactly_the_limit_is_accepted(bool chunked)
    {
        var session = await _http.OpenSessionAsync("?echo=exact");
        var text = new string('x', Max);

        var response = await _http.PostAsync($"/poll/{session.Id}", Body(text, chunked));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal([text], (await _http.PollBatchAsync(session.Id, 0)).Messages);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task One_byte_over_the_limit_is_413_and_nothing_is_queued(bool chunked)
    {
        var session = await _http.OpenSessionAsync();
        await _http.SendAcceptedAsync(session.Id, "small");

        var response = await _http.PostAsync($"/poll/{session.Id}", Body(new string('x', Max + 1), chunked));

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal(["Received: small"], (await _http.PollBatchAsync(session.Id, 0)).Messages);
    }

    [Fact]
    public async Task The_limit_counts_bytes_not_characters()
    {
        var session = await _http.OpenSessionAsync("?echo=exact");
        string fits = new('é', Max / 2), tooLong = new('é', Max / 2 + 1); // 2 bytes each in UTF-8

        Assert.Equal(HttpStatusCode.Accepted, (await _http.SendAsync(session.Id, fits)).StatusCode);
        await ProblemAssert.IsProblemAsync(await _http.SendAsync(session.Id, tooLong), HttpStatusCode.RequestEntityTooLarge);
    }

    private static HttpContent Body(string text, bool chunked) => chunked
        ? new UnknownLengthContent(Encoding.UTF8.GetBytes(text))
        : new StringContent(text, Encoding.UTF8, "text/plain");

    /// <summary>A body without Content-Length (sent chunked), so the server must count the bytes itself.</summary>
    private sealed class UnknownLengthContent : HttpContent
    {
        private readonly byte[] _bytes;

        public UnknownLengthContent(byte[] bytes)
        {
            _bytes = bytes;
            Headers.ContentType = new("text/plain") { CharSet = "utf-8" };
        }

        protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) => stream.WriteAsync(_bytes).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
