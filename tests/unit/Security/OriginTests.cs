using System.Net;
using System.Net.WebSockets;
using PushCompare.UnitTests.Infrastructure;

namespace PushCompare.UnitTests.Security;

public sealed class OriginApp() : AppFactory(("Security:AllowedOrigins:0", "https://allowed.example"));

/// <summary>Cross-site WebSocket hijacking and cross-origin polling are refused (403); same origin and the allow-list pass.</summary>
public sealed class OriginTests(OriginApp app) : IClassFixture<OriginApp>
{
    private const string Forged = "https://evil.example";

    private async Task<HttpResponseMessage> RequestAsync(HttpMethod method, string path, string? origin)
    {
        using var request = new HttpRequestMessage(method, path);
        if (origin is not null) request.Headers.Add("Origin", origin);
        if (method == HttpMethod.Post && path.StartsWith("/poll/", StringComparison.Ordinal)) request.Content = new StringContent("hi", System.Text.Encoding.UTF8, "text/plain");
        return await app.CreateClient().SendAsync(request);
    }

    [Fact]
    public async Task A_WebSocket_upgrade_with_a_forged_origin_gets_403()
    {
        var client = app.Server.CreateWebSocketClient();
        client.ConfigureRequest = request => request.Headers.Origin = Forged;

        var refused = await Assert.ThrowsAnyAsync<Exception>(() => client.ConnectAsync(new Uri("ws://localhost/ws"), CancellationToken.None));

        Assert.Contains("403", refused.Message);
    }

    [Theory]
    [InlineData("http://localhost")] // the app's own origin (TestServer's host)
    [InlineData("https://allowed.example")]
    public async Task A_WebSocket_upgrade_from_the_own_or_an_allowed_origin_is_accepted(string origin)
    {
        var client = app.Server.CreateWebSocketClient();
        client.ConfigureRequest = request => request.Headers.Origin = origin;

        using var socket = await client.ConnectAsync(new Uri("ws://localhost/ws"), CancellationToken.None);

        Assert.Equal("Received: hi", await socket.EchoTextAsync("hi"));
    }

    [Fact]
    public async Task Every_polling_request_with_a_forged_origin_gets_403_and_the_session_is_untouched()
    {
        var http = app.CreateClient();
        var session = await http.OpenSessionAsync();
        await http.SendAcceptedAsync(session.Id, "kept");

        foreach (var (method, path) in new[] { (HttpMethod.Post, "/poll"), (HttpMethod.Post, $"/poll/{session.Id}"),
                     (HttpMethod.Get, $"/poll/{session.Id}?cursor=0"), (HttpMethod.Delete, $"/poll/{session.Id}") })
        {
            var problem = await ProblemAssert.IsProblemAsync(await RequestAsync(method, path, Forged), HttpStatusCode.Forbidden);
            Assert.Contains(Forged, ProblemAssert.Detail(problem));
        }

        Assert.Equal(["Received: kept"], (await http.PollBatchAsync(session.Id, 0)).Messages);
    }

    [Fact]
    public async Task The_stats_endpoints_refuse_a_forged_origin()
    {
        await ProblemAssert.IsProblemAsync(await RequestAsync(HttpMethod.Post, "/api/stats/reset", Forged), HttpStatusCode.Forbidden);
        await ProblemAssert.IsProblemAsync(await RequestAsync(HttpMethod.Get, "/api/stats", Forged), HttpStatusCode.Forbidden);
        Assert.Equal(HttpStatusCode.NoContent, (await RequestAsync(HttpMethod.Post, "/api/stats/reset", null)).StatusCode);
    }

    [Fact]
    public async Task Polling_from_an_allowed_origin_or_without_an_origin_is_accepted()
    {
        Assert.Equal(HttpStatusCode.Created, (await RequestAsync(HttpMethod.Post, "/poll", "https://allowed.example")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await RequestAsync(HttpMethod.Post, "/poll", null)).StatusCode);
    }
}
