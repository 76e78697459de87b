using System.Net;
using System.Text;
using System.Text.Json;

namespace PushCompare.UnitTests.Reliability;

/// <summary>
/// An SSE client that misbehaves on purpose over real TCP, as EventSource would see it: it repeats a fraction of its
/// sends (as a client whose 202 was lost would), and cuts a fraction of its streams in the middle of an event (after
/// the event's first line, before the blank line that would dispatch it), then reconnects with the Last-Event-ID of
/// the last event it processed. It checks every reply arrived exactly once and in order.
/// </summary>
public sealed class FaultInjectingStreamClient(HttpClient http, Random random, double repeatSendRate, double cutStreamRate) : IFaultInjectingClient
{
    public async Task<FaultRun> RunAsync(int messages, CancellationToken cancel)
    {
        string id = await ServerFailure.OpenUntilCreatedAsync(http, "/sse?echo=exact", _failures, cancel);

        int repeated = 0, streams = 0, cut = 0, received = 0, duplicated = 0, outOfOrder = 0;
        long lastProcessed = 0; // the Last-Event-ID EventSource would send: the id of the last event dispatched

        async Task SendAllAsync()
        {
            for (int seq = 1; seq <= messages; seq++)
            {
                await SendAsync(id, seq, Volatile.Read(ref lastProcessed), cancel);
                if (Next() < repeatSendRate)
                {
                    await SendAsync(id, seq, Volatile.Read(ref lastProcessed), cancel); // must not echo twice
                    repeated++;
                }
            }
        }

        async Task ReceiveAllAsync()
        {
            int last = 0;
            while (received < messages)
            {
                streams++;
                using var request = new HttpRequestMessage(HttpMethod.Get, $"/sse/{id}");
                if (lastProcessed > 0) request.Headers.TryAddWithoutValidation("Last-Event-ID", lastProcessed.ToString(System.Globalization.CultureInfo.InvariantCulture));
                HttpResponseMessage response;
                try
                {
                    response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel);
                }
                catch (Exception ex) when (ServerFailure.IsRetryable(ex, cancel))
                {
                    _failures.Add($"GET /sse/{id}", ex);
                    await ServerFailure.PauseAsync(cancel);
                    continue;
                }
                using var owned = response;
                if (ServerFailure.IsRetryable(response.StatusCode))
                {
                    _failures.Add($"GET /sse/{id}", response);
                    await ServerFailure.PauseAsync(cancel);
                    continue;
                }
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancel), new UTF8Encoding(false));
                string? data = null, eventId = null, type = null;
                while (received < messages && await ReadLineOrNullAsync(reader, cancel) is { } line)
                {
                    if (line.Length == 0)
                    {
                        if (type is null && data is not null && eventId is not null)
                        {
                            int n = int.Parse(data.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture);
                            if (n <= last) duplicated++;
                            else
                            {
                                if (n != last + 1) outOfOrder++;
                                last = n;
                                received++;
                            }
                            Volatile.Write(ref lastProcessed, long.Parse(eventId, System.Globalization.CultureInfo.InvariantCulture));
                        }
                        (data, eventId, type) = (null, null, null);
                        continue;
                    }
                    if (line.StartsWith("data:", StringComparison.Ordinal))
                    {
                        if (data is null && Next() < cutStreamRate)
                        {
                            cut++; // this event's first line is in; the rest never will be
                            break;
                        }
                        data = line[5..].TrimStart(' ');
                    }
                    else if (line.StartsWith("id:", StringComparison.Ordinal)) eventId = line[3..].TrimStart(' ');
                    else if (line.StartsWith("event:", StringComparison.Ordinal)) type = line[6..].TrimStart(' ');
                }
            }
        }

        await Task.WhenAll(SendAllAsync(), ReceiveAllAsync());
        // Every send was answered and every reply received: a stray second echo of a repeated send would be next now,
        // before the quiet stream's first interval heartbeat.
        using (var request = new HttpRequestMessage(HttpMethod.Get, $"/sse/{id}"))
        {
            request.Headers.TryAddWithoutValidation("Last-Event-ID", lastProcessed.ToString(System.Globalization.CultureInfo.InvariantCulture));
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancel));
            int blankLines = 0;
            while (blankLines < 2 && await reader.ReadLineAsync(cancel) is { } line) // the opening heartbeat, then the next event
            {
                if (line.Length == 0) blankLines++;
                else if (blankLines == 1 && line.StartsWith("id:", StringComparison.Ordinal)) duplicated++;
            }
        }
        await http.DeleteAsync($"/sse/{id}", cancel);
        return new FaultRun(messages, repeated, streams, cut, received, duplicated, outOfOrder, _failures.Count, _failures.First);
    }

    private readonly ServerFailures _failures = new();

    // A stream that ends by a reset (its instance died) ends like one the server closed: EventSource reconnects either way.
    private async Task<string?> ReadLineOrNullAsync(StreamReader reader, CancellationToken cancel)
    {
        try
        {
            return await reader.ReadLineAsync(cancel);
        }
        catch (Exception ex) when (ServerFailure.IsRetryable(ex, cancel))
        {
            _failures.Add("reading the event stream", ex);
            return null;
        }
    }

    private Task SendAsync(string id, int seq, long ack, CancellationToken cancel) =>
        ServerFailure.SendUntilAnsweredAsync(http, $"/sse/{id}?seq={seq}&ack={ack}", seq, _failures, cancel);

    // Random is not thread-safe and the send and receive loops run concurrently.
    private double Next()
    {
        lock (random) return random.NextDouble();
    }
}
