using System.Net;
using PushCompare.UnitTests.Https;
using PushCompare.UnitTests.Infrastructure;

namespace PushCompare.UnitTests.Compression;

/// <summary>HttpCompression:EnableForHttps is its own switch: with only Enabled, HTTPS answers stay identity (BREACH needs TLS).</summary>
public sealed class HttpsCompressionTests
{
    [Theory]
    [InlineData(false, null)]
    [InlineData(true, "br")]
    public async Task Over_HTTPS_a_poll_answer_is_compressed_only_with_EnableForHttps(bool enableForHttps, string? expected)
    {
        // A busy machine may need more than the fixture's 1 s handshake limit (it tests that limit; this test does not).
        await using var app = new HttpsApp([("ServerLimits:TlsHandshakeTimeout", "00:00:10"), ("HttpCompression:Enabled", "true"), ("HttpCompression:EnableForHttps", enableForHttps ? "true" : "false")]);
        using var tls = app.CreateTlsClient(HttpVersion.Version11);
        tls.DefaultRequestHeaders.TryAddWithoutValidation("Accept-Encoding", "gzip, br");

        var session = await tls.OpenSessionAsync();
        await tls.SendAcceptedAsync(session.Id, "over TLS");
        var poll = await tls.PollAsync(session.Id, 0);

        Assert.Equal(HttpStatusCode.OK, poll.StatusCode);
        Assert.Equal(expected is null ? [] : [expected], poll.Content.Headers.ContentEncoding);
        await tls.DeleteSessionAsync(session.Id);
    }
}
