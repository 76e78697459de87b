using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace PushCompare.UnitTests.Infrastructure;

/// <summary>A session as <c>POST /poll</c> returned it: the id (its credential), the key of its figures, and the whole 201 response.</summary>
public sealed record OpenedSession(string Id, string StatsKey, HttpResponseMessage Response, JsonElement Body);

/// <summary>Body of a 200 poll: <c>{"cursor": N, "messages": [...]}</c>.</summary>
public sealed record Batch(long Cursor, string[] Messages);

/// <summary>The long-polling wire protocol as one-line calls, so tests read as the conversation they check.</summary>
public static class PollingClient
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    /// <summary><c>POST /poll</c>; asserts 201 and returns the new session.</summary>
    public static async Task<OpenedSession> OpenSessionAsync(this HttpClient http, string query = "")
    {
        var response = await http.PostAsync($"/poll{query}", content: null);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return new(body.GetProperty("id").GetString()!, body.GetProperty("statsKey").GetString()!, response, body);
    }

    /// <summary><c>POST /poll/{id}</c> with a <c>text/plain; charset=utf-8</c> body.</summary>
    public static Task<HttpResponseMessage> SendAsync(this HttpClient http, string id, string text) =>
        http.PostAsync($"/poll/{id}", new StringContent(text, Encoding.UTF8, "text/plain"));

    /// <summary>Sends and asserts the message was accepted (202).</summary>
    public static async Task SendAcceptedAsync(this HttpClient http, string id, string text)
    {
        var response = await http.SendAsync(id, text);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted,
            $"POST /poll/{id} '{text}' answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary><c>GET /poll/{id}?cursor=N</c>, whatever it answers.</summary>
    public static Task<HttpResponseMessage> PollAsync(this HttpClient http, string id, long cursor) =>
        http.GetAsync($"/poll/{id}?cursor={cursor}");

    /// <summary>Polls and asserts a 200 batch.</summary>
    public static async Task<Batch> PollBatchAsync(this HttpClient http, string id, long cursor) =>
        await ReadBatchAsync(await http.PollAsync(id, cursor));

    public static async Task<Batch> ReadBatchAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"Expected a 200 batch, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return JsonSerializer.Deserialize<Batch>(body, Web)!;
    }

    public static Task<HttpResponseMessage> DeleteSessionAsync(this HttpClient http, string id) =>
        http.DeleteAsync($"/poll/{id}");
}
