using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace PushCompare.UnitTests.Infrastructure;

/// <summary>One server-sent event as an EventSource would dispatch it (heartbeats included, so tests can see them).</summary>
public sealed record ServerEvent(string Type, string? Id, string Data, int? Retry);

/// <summary>A session as <c>POST /sse</c> returned it.</summary>
public sealed record OpenedStreamSession(string Id, string StatsKey, JsonElement Body);

/// <summary>
/// <c>GET /sse/{id}</c> read as the event-stream format says (WHATWG HTML §9.2.6): lines ending in LF, fields
/// <c>data</c> (joined with LF), <c>id</c>, <c>event</c>, <c>retry</c>; a blank line dispatches. A test-side parser,
/// independent of the server's formatter, so the tests check the wire rather than trust it.
/// </summary>
public sealed class EventStream : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;

    private EventStream(HttpResponseMessage response, Stream body)
    {
        _response = response;
        _reader = new StreamReader(body, new UTF8Encoding(false));
    }

    public HttpResponseMessage Response => _response;

    /// <summary>Reads events from <paramref name="body"/>, the (e.g. decompressed) body of an open stream's <paramref name="response"/>.</summary>
    public static EventStream Over(HttpResponseMessage response, Stream body) => new(response, body);

    /// <summary>Opens the stream; <paramref name="lastEventId"/> is sent as EventSource's reconnect sends it. Asserts 200.</summary>
    public static async Task<EventStream> OpenAsync(HttpClient http, string id, string? lastEventId = null)
    {
        var (response, stream) = await TryOpenAsync(http, id, lastEventId);
        if (stream is not null) return stream;
        var body = await response.Content.ReadAsStringAsync();
        throw new Xunit.Sdk.XunitException($"GET /sse/{id} answered {(int)response.StatusCode}: {body}");
    }

    /// <summary>Opens the stream whatever the server answers; a 200 is returned open, to be read with <see cref="NextAsync"/>.</summary>
    public static async Task<(HttpResponseMessage Response, EventStream? Stream)> TryOpenAsync(HttpClient http, string id, string? lastEventId = null)
    {
        var response = await SendAsync(http, id, lastEventId);
        if (response.StatusCode != HttpStatusCode.OK) return (response, null);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        return (response, new EventStream(response, await response.Content.ReadAsStreamAsync()));
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, string id, string? lastEventId)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"/sse/{id}")
        {
            Version = http.DefaultRequestVersion, // a request built by hand does not take the client's default by itself
            VersionPolicy = http.DefaultVersionPolicy,
        };
        request.Headers.Accept.ParseAdd("text/event-stream");
        if (lastEventId is not null) request.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventId);
        return await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }

    /// <summary>The next event, heartbeats included; null at the end of the stream. Fails the test after the deadline.</summary>
    public async Task<ServerEvent?> NextAsync(TimeSpan? deadline = null)
    {
        using var timeout = new CancellationTokenSource(deadline ?? Eventually.DefaultDeadline);
        var data = new StringBuilder();
        string type = "", id = "";
        bool hasData = false, hasId = false;
        int? retry = null;
        while (true)
        {
            string? line;
            try
            {
                line = await _reader.ReadLineAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                throw new Xunit.Sdk.XunitException("Timed out waiting for the next server-sent event.");
            }
            if (line is null) return null;
            if (line.Length == 0)
            {
                if (!hasData && retry is null && type.Length == 0) continue;
                return new ServerEvent(type.Length == 0 ? "message" : type, hasId ? id : null, data.ToString(), retry);
            }
            int colon = line.IndexOf(':');
            string field = colon < 0 ? line : line[..colon];
            string value = colon < 0 ? "" : line[(colon + 1)..];
            if (value.StartsWith(' ')) value = value[1..];
            switch (field)
            {
                case "data":
                    if (hasData) data.Append('\n');
                    data.Append(value);
                    hasData = true;
                    break;
                case "id": id = value; hasId = true; break;
                case "event": type = value; break;
                case "retry": retry = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
            }
        }
    }

    /// <summary>The next event that is not a heartbeat.</summary>
    public async Task<ServerEvent?> NextMessageAsync(TimeSpan? deadline = null)
    {
        while (true)
        {
            var e = await NextAsync(deadline);
            if (e is not { Type: "heartbeat" }) return e;
        }
    }

    public ValueTask DisposeAsync()
    {
        _reader.Dispose();
        _response.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>The SSE session's requests as one-line calls.</summary>
public static class StreamClient
{
    public static async Task<OpenedStreamSession> OpenStreamSessionAsync(this HttpClient http, string query = "")
    {
        var response = await http.PostAsync($"/sse{query}", content: null);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal($"/sse/{body.GetProperty("id").GetString()}", response.Headers.Location?.OriginalString);
        return new(body.GetProperty("id").GetString()!, body.GetProperty("statsKey").GetString()!, body);
    }

    public static Task<HttpResponseMessage> SendStreamAsync(this HttpClient http, string id, string text, string query = "") =>
        http.PostAsync($"/sse/{id}{query}", new StringContent(text, Encoding.UTF8, "text/plain"));

    public static async Task SendStreamAcceptedAsync(this HttpClient http, string id, string text, string query = "")
    {
        var response = await http.SendStreamAsync(id, text, query);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted,
            $"POST /sse/{id}{query} '{text}' answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }
}
