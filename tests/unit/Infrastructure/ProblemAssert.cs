using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace PushCompare.UnitTests.Infrastructure;

/// <summary>Every error the service returns must be an RFC 9457 ProblemDetails with a sentence a person can act on.</summary>
public static class ProblemAssert
{
    public static async Task<JsonElement> IsProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"Expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonSerializer.Deserialize<JsonElement>(body);
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("title").GetString()), "problem has no title");
        Assert.False(string.IsNullOrWhiteSpace(Detail(problem)), "problem has no detail");
        return problem;
    }

    public static string Detail(JsonElement problem) => problem.GetProperty("detail").GetString() ?? "";
}
