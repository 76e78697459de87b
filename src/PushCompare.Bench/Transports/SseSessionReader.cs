using System.Globalization;
using System.Net;
using System.Net.ServerSentEvents;
using PushCompare.Bench.Cli;

namespace PushCompare.Bench.Transports;

/// <summary>
/// Reads a session as an event stream (<c>GET /sse/{id}</c> with <c>Last-Event-ID: N</c>), each message event's
/// <c>id:</c> its log number, parsed by .NET's <see cref="SseParser"/>. Killing it drops the response mid-stream and
/// closes the client's connections.
/// </summary>
internal sealed class SseSessionReader(Uri baseUri, WireStack stack) : SessionReader(baseUri, stack)
{
    public override async Task ReadAsync(string sessionId, long cursor, SessionMessageHandler onMessage, CancellationToken cancel)
    {
        using var http = NewHttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/sse/{sessionId}");
        request.Headers.Add("Last-Event-ID", cursor.ToString(CultureInfo.InvariantCulture));
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel);
        if (response.StatusCode != HttpStatusCode.OK) throw await RefusedAsync($"GET /sse/{{id}} (Last-Event-ID: {cursor})", response);
        await using var stream = await response.Content.ReadAsStreamAsync(cancel);
        await foreach (var item in SseParser.Create(stream).EnumerateAsync(cancel))
        {
            if (item.EventType == "superseded") throw new InvalidOperationException("another reader took the session's stream over (event: superseded)");
            if (item.EventType != SseParser.EventTypeDefault) continue; // heartbeats
            if (!long.TryParse(item.EventId, NumberStyles.None, CultureInfo.InvariantCulture, out long n))
            {
                throw new InvalidDataException($"a message event had no numeric id: '{item.EventId}'");
            }
            if (!onMessage(n, item.Data)) return;
        }
        throw new InvalidOperationException("the event stream ended during the run");
    }
}
