using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using PushCompare.UnitTests.Infrastructure;

namespace PushCompare.UnitTests.Topics;

/// <summary><c>POST /topics/{name}</c> as one-line calls.</summary>
public static class TopicClient
{
    public static Task<HttpResponseMessage> PublishAsync(this HttpClient http, string topic, string text, string contentType = "text/plain",
        string? origin = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/topics/{topic}") { Content = new StringContent(text, Encoding.UTF8) };
        request.Content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType);
        if (origin is not null) request.Headers.Add("Origin", origin);
        return http.SendAsync(request);
    }

    /// <summary>Publishes, asserts 202 and its body's topic, and returns how many subscribers took the message.</summary>
    public static async Task<int> PublishAcceptedAsync(this HttpClient http, string topic, string text)
    {
        var response = await http.PublishAsync(topic, text);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"POST /topics/{topic} answered {(int)response.StatusCode}: {body}");
        var published = JsonSerializer.Deserialize<JsonElement>(body);
        Assert.Equal(topic, published.GetProperty("topic").GetString());
        return published.GetProperty("subscribers").GetInt32();
    }

    /// <summary>Long-polls session <paramref name="id"/> from <paramref name="cursor"/> until <paramref name="count"/> messages arrived.</summary>
    public static async Task<List<string>> PollUntilAsync(this HttpClient http, string id, int count)
    {
        var received = new List<string>();
        long cursor = 0;
        while (received.Count < count)
        {
            var response = await http.PollAsync(id, cursor);
            if (response.StatusCode == HttpStatusCode.NoContent) continue;
            var batch = await PollingClient.ReadBatchAsync(response);
            received.AddRange(batch.Messages);
            cursor = batch.Cursor;
        }
        return received;
    }

    /// <summary>Reads <paramref name="count"/> message events from an open stream.</summary>
    public static async Task<List<string>> ReadMessagesAsync(this EventStream stream, int count)
    {
        var received = new List<string>();
        while (received.Count < count)
        {
            var e = await stream.NextMessageAsync() ?? throw new Xunit.Sdk.XunitException($"the stream ended after {received.Count} of {count} messages");
            received.Add(e.Data);
        }
        return received;
    }

    public static async Task<List<string>> ReceiveTextsAsync(this System.Net.WebSockets.WebSocket socket, int count)
    {
        var received = new List<string>();
        while (received.Count < count) received.Add((await socket.ReceiveMessageAsync()).Text);
        return received;
    }
}
