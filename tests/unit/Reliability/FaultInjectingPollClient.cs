using System.Net;
using System.Text;
using System.Text.Json;

namespace PushCompare.UnitTests.Reliability;

/// <summary>
/// Counts of what a fault-injecting client did and saw. A read is a poll or a stream; a cut read is a poll abandoned
/// mid-response or a stream cut mid-event. <see cref="Failures"/> counts requests that failed on the server's side
/// (502/503/504 from a gateway whose instance died, a connection reset, a response cut short) and were tried again;
/// <see cref="FirstFailure"/> says what the first of them was, so a run that should have had none says why it did.
/// </summary>
public sealed record FaultRun(int Sent, int SendsRepeated, int Reads, int ReadsCut, int Received, int Duplicated, int OutOfOrder, int Failures = 0,
    string? FirstFailure = null)
{
    public static FaultRun Sum(IEnumerable<FaultRun> runs) => runs.Aggregate(new FaultRun(0, 0, 0, 0, 0, 0, 0), (a, r) => new(
        a.Sent + r.Sent, a.SendsRepeated + r.SendsRepeated, a.Reads + r.Reads, a.ReadsCut + r.ReadsCut, a.Received + r.Received,
        a.Duplicated + r.Duplicated, a.OutOfOrder + r.OutOfOrder, a.Failures + r.Failures, a.FirstFailure ?? r.FirstFailure));
}

/// <summary>The server-side failures one client tried again: how many, and the first in words.</summary>
public sealed class ServerFailures
{
    private int _count;
    private string? _first;

    public int Count => Volatile.Read(ref _count);

    public string? First => Volatile.Read(ref _first);

    public void Add(string what)
    {
        Interlocked.Increment(ref _count);
        Interlocked.CompareExchange(ref _first, what, null);
    }

    public void Add(string request, HttpResponseMessage response) => Add($"{request} answered {(int)response.StatusCode} {response.ReasonPhrase}");

    public void Add(string request, Exception ex) => Add($"{request} failed: {ex.GetType().Name}: {ex.Message}");
}

/// <summary>
/// What the fault-injecting clients do when the server side fails them (not when they cut a read themselves): a client
/// behind a load balancer whose instance died sees 502/503/504 or a reset connection, and tries again. Sends carry
/// their sequence number, so repeating one is safe.
/// </summary>
public static class ServerFailure
{
    public static bool IsRetryable(HttpStatusCode status) =>
        status is HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout;

    /// <summary>A failed exchange (no answer, or an answer cut short), as opposed to the test's own cancellation.</summary>
    public static bool IsRetryable(Exception ex, CancellationToken cancel) =>
        !cancel.IsCancellationRequested && ex is HttpRequestException or IOException or TaskCanceledException;

    /// <summary>A client's pause before it tries again, so a retry loop does not spin while the gateway notices the death.</summary>
    public static Task PauseAsync(CancellationToken cancel) => Task.Delay(50, cancel);

    /// <summary>
    /// Opens a session (<c>POST {pathAndQuery}</c>) until the server answers other than a retryable failure (an instance
    /// that is dying, or whose Redis did not answer in time on a starved machine, answers 502/503); that answer must be
    /// 201. A session whose 201 was lost is left to expire: nothing was sent on it. Returns its id; the failed tries go to <paramref name="failures"/>.
    /// </summary>
    public static async Task<string> OpenUntilCreatedAsync(HttpClient http, string pathAndQuery, ServerFailures failures, CancellationToken cancel)
    {
        while (true)
        {
            try
            {
                using var response = await http.PostAsync(pathAndQuery, null, cancel);
                if (!IsRetryable(response.StatusCode))
                {
                    Assert.True(response.StatusCode == HttpStatusCode.Created,
                        $"POST {pathAndQuery} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancel)}");
                    using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancel));
                    return body.RootElement.GetProperty("id").GetString()!;
                }
                failures.Add($"POST {pathAndQuery}", response);
            }
            catch (Exception ex) when (IsRetryable(ex, cancel))
            {
                // No answer: a session may have been opened; unused, it expires.
                failures.Add($"POST {pathAndQuery}", ex);
            }
            await PauseAsync(cancel);
        }
    }

    /// <summary>
    /// Sends message <c>m{seq}</c> to <paramref name="pathAndQuery"/> until the server answers other than a retryable
    /// failure; that answer must be 202. The tries the server failed go to <paramref name="failures"/>.
    /// </summary>
    public static async Task SendUntilAnsweredAsync(HttpClient http, string pathAndQuery, int seq, ServerFailures failures, CancellationToken cancel)
    {
        while (true)
        {
            try
            {
                using var content = new StringContent($"m{seq}", Encoding.UTF8, "text/plain");
                using var response = await http.PostAsync(pathAndQuery, content, cancel);
                if (!IsRetryable(response.StatusCode))
                {
                    Assert.True(response.StatusCode == HttpStatusCode.Accepted,
                        $"send seq={seq} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancel)}");
                    return;
                }
                failures.Add($"POST {pathAndQuery}", response);
            }
            catch (Exception ex) when (IsRetryable(ex, cancel))
            {
                // No answer: it may or may not have been accepted; the same seq again is echoed once either way.
                failures.Add($"POST {pathAndQuery}", ex);
            }
            await PauseAsync(cancel);
        }
    }
}

/// <summary>A client that misbehaves on purpose and checks every reply arrived exactly once and in order.</summary>
public interface IFaultInjectingClient
{
    Task<FaultRun> RunAsync(int messages, CancellationToken cancel);
}

/// <summary>
/// A long-polling client that misbehaves on purpose over real TCP: it repeats a fraction of its sends (as a client
/// whose 202 was lost would) and abandons a fraction of its polls after the first byte of the response body,
/// which aborts the connection mid-response. It then checks every reply arrived exactly once and in order.
/// </summary>
public sealed class FaultInjectingPollClient(HttpClient http, Random random, double repeatSendRate, double abortPollRate) : IFaultInjectingClient
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    public async Task<FaultRun> RunAsync(int messages, CancellationToken cancel)
    {
        string id = await ServerFailure.OpenUntilCreatedAsync(http, "/poll?echo=exact", _failures, cancel);

        int repeated = 0, polls = 0, aborted = 0, received = 0, duplicated = 0, outOfOrder = 0;

        async Task SendAllAsync()
        {
            for (int seq = 1; seq <= messages; seq++)
            {
                await SendAsync(id, seq, cancel);
                if (Next() < repeatSendRate)
                {
                    await SendAsync(id, seq, cancel); // the retry of a send whose answer "was lost": must not echo twice
                    repeated++;
                }
            }
        }

        long cursor = 0;
        async Task ReceiveAllAsync()
        {
            int last = 0;
            while (received < messages)
            {
                polls++;
                HttpResponseMessage response;
                try
                {
                    response = await http.GetAsync($"/poll/{id}?cursor={cursor}", HttpCompletionOption.ResponseHeadersRead, cancel);
                }
                catch (Exception ex) when (ServerFailure.IsRetryable(ex, cancel))
                {
                    _failures.Add($"GET /poll/{id}?cursor={cursor}", ex);
                    await ServerFailure.PauseAsync(cancel);
                    continue;
                }
                using var owned = response;
                if (response.StatusCode == HttpStatusCode.NoContent) continue;
                if (ServerFailure.IsRetryable(response.StatusCode))
                {
                    _failures.Add($"GET /poll/{id}?cursor={cursor}", response);
                    await ServerFailure.PauseAsync(cancel);
                    continue;
                }
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                if (Next() < abortPollRate)
                {
                    // Read one byte of the body and drop the connection: the client never sees this batch.
                    await using var body = await response.Content.ReadAsStreamAsync(cancel);
                    _ = await body.ReadAsync(new byte[1], cancel);
                    aborted++;
                    continue;
                }
                Batch batch;
                try
                {
                    batch = JsonSerializer.Deserialize<Batch>(await response.Content.ReadAsStringAsync(cancel), Web)!;
                }
                catch (Exception ex) when (ServerFailure.IsRetryable(ex, cancel) || ex is JsonException)
                {
                    _failures.Add($"GET /poll/{id}?cursor={cursor} (body)", ex); // the answer was cut short: the same cursor is polled again
                    continue;
                }
                foreach (var text in batch.Messages)
                {
                    int n = int.Parse(text.AsSpan(1));
                    if (n <= last) { duplicated++; continue; }
                    if (n != last + 1) outOfOrder++;
                    last = n;
                    received++;
                }
                cursor = batch.Cursor;
            }
        }

        await Task.WhenAll(SendAllAsync(), ReceiveAllAsync());
        // Every send has been answered and every reply received: a stray second echo of a repeated send would be waiting now.
        using (var after = await http.GetAsync($"/poll/{id}?cursor={cursor}&wait=0", cancel))
        {
            if (after.StatusCode == HttpStatusCode.OK)
                duplicated += JsonSerializer.Deserialize<Batch>(await after.Content.ReadAsStringAsync(cancel), Web)!.Messages.Length;
        }
        await http.DeleteAsync($"/poll/{id}", cancel);
        return new FaultRun(messages, repeated, polls, aborted, received, duplicated, outOfOrder, _failures.Count, _failures.First);
    }

    private readonly ServerFailures _failures = new();

    private async Task SendAsync(string id, int seq, CancellationToken cancel) =>
        await ServerFailure.SendUntilAnsweredAsync(http, $"/poll/{id}?seq={seq}", seq, _failures, cancel);

    // Random is not thread-safe and the send and receive loops run concurrently.
    private double Next()
    {
        lock (random) return random.NextDouble();
    }

    private sealed record Batch(long Cursor, string[] Messages);
}
