using System.Net;
using System.Net.Http.Headers;
using System.Text;
using PushCompare.UnitTests.Infrastructure;

namespace PushCompare.UnitTests.LongPolling;

/// <summary>Each malformed send is refused with its own status, and a refused send never disturbs what is queued.</summary>
public sealed class SendValidationTests(ShortPollApp app) : IClassFixture<ShortPollApp>
{
    private readonly HttpClient _http = app.CreateClient();

    public static TheoryData<string, byte[], HttpStatusCode> BadBodies => new()
    {
        { "application/json", "\"hi\""u8.ToArray(), HttpStatusCode.UnsupportedMediaType },
        { "text/html; charset=utf-8", "hi"u8.ToArray(), HttpStatusCode.UnsupportedMediaType },
        { "text/plain; charset=iso-8859-1", "hi"u8.ToArray(), HttpStatusCode.UnsupportedMediaType },
        { "text/plain; charset=utf-8", [], HttpStatusCode.BadRequest },             // empty
        { "text/plain; charset=utf-8", [0xC3, 0x28], HttpStatusCode.BadRequest },   // invalid UTF-8 (bad continuation byte)
        { "text/plain", [0xFF], HttpStatusCode.BadRequest },                        // invalid UTF-8, no charset
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Bad_send_is_refused_and_the_queued_replies_are_still_delivered(string contentType, byte[] body, HttpStatusCode status)
    {
        var session = await _http.OpenSessionAsync();
        await _http.SendAcceptedAsync(session.Id, "queued before");

        await ProblemAssert.IsProblemAsync(await _http.PostAsync($"/poll/{session.Id}", Content(body, contentType)), status);

        await _http.SendAcceptedAsync(session.Id, "queued after");
        var batch = await _http.PollBatchAsync(session.Id, 0);
        Assert.Equal(2, batch.Cursor);
        Assert.Equal(["Received: queued before", "Received: queued after"], batch.Messages);
    }

    [Fact]
    public async Task Missing_content_type_is_415()
    {
        var session = await _http.OpenSessionAsync();
        var content = new ByteArrayContent("hi"u8.ToArray());

        await ProblemAssert.IsProblemAsync(await _http.PostAsync($"/poll/{session.Id}", content), HttpStatusCode.UnsupportedMediaType);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("text/plain; charset=UTF-8")]
    [InlineData("TEXT/PLAIN; charset=\"utf-8\"")]
    public async Task Plain_text_with_no_or_utf8_charset_is_accepted(string contentType)
    {
        var session = await _http.OpenSessionAsync("?echo=exact");

        var response = await _http.PostAsync($"/poll/{session.Id}", Content(Encoding.UTF8.GetBytes("héllo"), contentType));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(["héllo"], (await _http.PollBatchAsync(session.Id, 0)).Messages);
    }

    private static ByteArrayContent Content(byte[] body, string contentType)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return content;
    }
}
