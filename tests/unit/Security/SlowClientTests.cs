using PushCompare.UnitTests.Infrastructure;

namespace PushCompare.UnitTests.Security;

public sealed class SlowHeadersApp : AppFactory
{
    public SlowHeadersApp() : base(("ServerLimits:RequestHeadersTimeout", "00:00:01"))
    {
        StartOnKestrel();
    }
}

/// <summary>Kestrel limits are set deliberately; a client that dribbles its headers is cut off (slowloris).</summary>
public sealed class SlowClientTests(SlowHeadersApp app) : IClassFixture<SlowHeadersApp>
{
    [Fact]
    public async Task A_client_that_never_finishes_its_headers_is_disconnected()
    {
        await using var slow = await RawConnection.OpenAsync(app.KestrelAddress);
        await slow.WriteAsync($"GET /poll HTTP/1.1\r\nHost: {app.KestrelAddress.Authority}\r\nX-Slow: ");

        var answer = await slow.ReadHttpHeadAsync(); // Kestrel answers 408 when the header timeout fires, then closes

        Assert.StartsWith("HTTP/1.1 408", answer);
        Assert.True(await slow.IsClosedByServerAsync(), "the connection should be closed after the header timeout");
    }

    [Fact]
    public async Task Responses_carry_no_Server_header()
    {
        await using var raw = await RawConnection.OpenAsync(app.KestrelAddress);
        await raw.WriteAsync($"POST /poll HTTP/1.1\r\nHost: {app.KestrelAddress.Authority}\r\nContent-Length: 0\r\n\r\n");

        var head = await raw.ReadHttpHeadAsync();

        Assert.StartsWith("HTTP/1.1 201", head);
        Assert.DoesNotContain("\r\nServer:", head, StringComparison.OrdinalIgnoreCase);
    }
}
