using System.Net;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Text;
using System.Text.Json;

namespace PushCompare.UnitTests.Infrastructure;

/// <summary>One server-sent event as an EventSource would dispatch it (heartbeats included, so tests can see them).</summary>
public sealed record ServerEvent(string Type, string? Id, string Data, int? Retry);

/// <summary>A session as <c>POST /sse</c> returned it.</summary>
public sealed record OpenedStreamSession(string Id, string StatsKey, JsonElement Body);

/// <summary>
/// <c>GET /sse/{id}</c> read with .NET's <see cref="SseParser"/>, the client side of the event-stream format (WHATWG HTML
/// §9.2.6): the tests see each event as an EventSource would dispatch it, parsed by code that shares nothing with the
/// server's writer but the standard.
/// </summary>
public sealed class EventStream : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly Stream _body;
    private readonly IAsyncEnumerator<SseItem<string>> _events;
    private Task<bool>? _reading;

    private EventStream(HttpResponseMessage response, Stream body)
    {
        _response = response;
        _body = body;
        _events = SseParser.Create(body, static (_, data) => Encoding.UTF8.GetString(data)).EnumerateAsync().GetAsyncEnumerator();
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

    /// <summary>
    /// The next event, heartbeats included, with the id and retry fields it carried itself (null without them); null at
    /// the end of the stream. Fails the test after the deadline.
    /// </summary>
    public async Task<ServerEvent?> NextAsync(TimeSpan? deadline = null)
    {
        _reading = _events.MoveNextAsync().AsTask();
        try
        {
            if (!await _reading.WaitAsync(deadline ?? Eventually.DefaultDeadline)) return null;
        }
        catch (TimeoutException)
        {
            throw new Xunit.Sdk.XunitException("Timed out waiting for the next server-sent event.");
        }
        var item = _events.Current;
        return new ServerEvent(item.EventType.Length == 0 ? SseParser.EventTypeDefault : item.EventType, item.EventId, item.Data,
            item.ReconnectionInterval is { } retry ? (int)retry.TotalMilliseconds : null);
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

    public async ValueTask DisposeAsync()
    {
        // Ending the body first ends a read still waiting on it (after a timed-out NextAsync); the parser can only be
        // disposed between reads.
        await _body.DisposeAsync();
        _response.Dispose();
        if (_reading is not null) await _reading.ContinueWith(static _ => { }, TaskScheduler.Default);
        await _events.DisposeAsync();
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
