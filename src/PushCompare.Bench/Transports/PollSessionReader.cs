using System.Net;
using System.Net.Http.Json;
using PushCompare.Bench.Cli;
using PushCompare.Bench.Clients;

namespace PushCompare.Bench.Transports;

/// <summary>
/// Polls a session (<c>GET /poll/{id}?cursor=N</c>, held by the server; with <c>&amp;wait=0</c> answered at once, every
/// poll interval): batch k's messages are numbered from the cursor the poll sent. Killing it drops the rest of the batch
/// (in flight with the connection) and closes the client's connections.
/// </summary>
internal sealed class PollSessionReader(Uri baseUri, WireStack stack, bool shortPolling, int pollIntervalMs) : SessionReader(baseUri, stack)
{
    public override async Task ReadAsync(string sessionId, long cursor, SessionMessageHandler onMessage, CancellationToken cancel)
    {
        using var http = NewHttpClient();
        while (true)
        {
            string request = $"/poll/{sessionId}?cursor={cursor}" + (shortPolling ? "&wait=0" : "");
            using var response = await http.GetAsync(request, cancel);
            if (response.StatusCode == HttpStatusCode.NoContent)
            {
                // Nothing new: a short poll asks again after its interval, a long poll (its timeout passed) at once.
                if (shortPolling) await Task.Delay(pollIntervalMs, cancel);
                continue;
            }
            if (response.StatusCode != HttpStatusCode.OK) throw await RefusedAsync($"GET {request}", response);
            var batch = await response.Content.ReadFromJsonAsync(PollJson.Default.PollBatch, cancel)
                ?? throw new InvalidDataException("a poll batch was JSON null");
            if (batch.Cursor - cursor != batch.Messages.Length)
            {
                throw new InvalidDataException($"a poll batch's cursor moved from {cursor} to {batch.Cursor} for {batch.Messages.Length} messages");
            }
            for (int i = 0; i < batch.Messages.Length; i++)
            {
                if (!onMessage(cursor + 1 + i, batch.Messages[i])) return; // the using blocks close the response and the connections
            }
            cursor = batch.Cursor;
        }
    }
}
