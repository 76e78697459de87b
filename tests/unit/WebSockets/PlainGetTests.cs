using System.Net;
using PushCompare.UnitTests.Infrastructure;

namespace PushCompare.UnitTests.WebSockets;

/// <summary>A browser tab or curl that opens /ws without an upgrade learns what the endpoint is.</summary>
public sealed class PlainGetTests(DefaultApp app) : IClassFixture<DefaultApp>
{
    [Theory]
    [InlineData("/ws")]
    [InlineData("/ws?echo=exact")]
    public async Task Plain_GET_is_400_problem_saying_it_is_a_WebSocket_endpoint(string url)
    {
        var response = await app.CreateClient().GetAsync(url);

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("WebSocket endpoint", ProblemAssert.Detail(problem));
    }
}
