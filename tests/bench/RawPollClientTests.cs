using System.Text;
using PushCompare.Bench.Clients.Raw;

namespace PushCompare.BenchTests;

/// <summary>
/// The hand-written polling client (<c>--poll-client raw</c>): its response parser whatever the reads split, its
/// batch reader, and the push runs with the same consistency checks as the HttpClient client.
/// </summary>
public sealed class RawPollClientTests
{
    private const string ChunkedBatch =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\nDate: Wed, 25 Nov 2026 17:00:00 GMT\r\n" +
        "Server: Kestrel\r\nCache-Control: no-store\r\nTransfer-Encoding: chunked\r\n\r\n" +
        "1a\r\n{\"cursor\":2,\"messages\":[\"t\r\n" + "1d;ext=1\r\nick 1 100\",\"tick 2 1733000000\r\n" + "3\r\n\"]}\r\n" + "0\r\n\r\n";

    private const string ChunkedBody = "{\"cursor\":2,\"messages\":[\"tick 1 100\",\"tick 2 1733000000\"]}";

    public static TheoryData<string, int, string> Responses => new()
    {
        { ChunkedBatch, 200, ChunkedBody },
        { "HTTP/1.1 201 Created\r\ncontent-length: 11\r\nLocation: /poll/x\r\n\r\n{\"id\":\"x\"}\n", 201, "{\"id\":\"x\"}\n" },
        { "HTTP/1.1 204 No Content\r\nCache-Control: no-store\r\n\r\n", 204, "" },
        { "HTTP/1.1 410 Gone\r\nTransfer-Encoding: chunked\r\n\r\n5\r\ngone.\r\n0\r\nX-Trailer: 1\r\n\r\n", 410, "gone." },
    };

    [Theory]
    [MemberData(nameof(Responses))]
    public void Response_parser_waits_for_the_whole_response_at_every_split_and_leaves_what_follows(string text, int status, string body)
    {
        byte[] response = Encoding.ASCII.GetBytes(text);
        byte[] next = Encoding.ASCII.GetBytes("HTTP/1.1 204 No Content\r\n\r\n");
        for (int split = 0; split <= response.Length; split++)
        {
            // The bytes arrive in two reads: before the split only the first part is there.
            byte[] buffer = [.. response, .. next];
            if (split < response.Length)
            {
                Assert.False(HttpResponseParser.TryParse(buffer.AsSpan(0, split), out _), $"complete after {split} of {response.Length} bytes");
            }
            Assert.True(HttpResponseParser.TryParse(buffer.AsSpan(), out var parsed), $"split at {split}");
            Assert.Equal(status, parsed.Status);
            Assert.Equal(response.Length, parsed.Consumed);
            Assert.Equal(body, Encoding.ASCII.GetString(buffer, parsed.BodyOffset, parsed.BodyLength));
            Assert.True(HttpResponseParser.TryParse(buffer.AsSpan(parsed.Consumed), out var following));
            Assert.Equal(204, following.Status);
        }
    }

    [Fact]
    public void Response_parser_sees_connection_close_and_rejects_what_is_not_http()
    {
        byte[] closing = "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"u8.ToArray();
        Assert.True(HttpResponseParser.TryParse(closing, out var parsed));
        Assert.True(parsed.Close);
        Assert.Throws<InvalidDataException>(() => HttpResponseParser.TryParse("SSH-2.0-OpenSSH\r\n\r\n"u8.ToArray(), out _));
        Assert.Throws<InvalidDataException>(() => HttpResponseParser.TryParse("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n"u8.ToArray(), out _));
        Assert.Throws<InvalidDataException>(() => HttpResponseParser.TryParse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"u8.ToArray(), out _));
    }

    [Fact]
    public void Batch_reader_counts_before_it_delivers_and_unescapes_messages()
    {
        byte[] json = """{"messages":["tick 1 5","a\"b\u00e9"],"cursor":7}"""u8.ToArray();
        Assert.Equal((7L, 2), PollBatchReader.ReadHeader(json));
        var seen = new List<string>();
        long bytes = 0;
        Assert.True(PollBatchReader.Deliver(json, m => { seen.Add(Encoding.UTF8.GetString(m)); return true; }, ref bytes));
        Assert.Equal(["tick 1 5", "a\"bé"], seen);
        Assert.Equal(Encoding.UTF8.GetByteCount("tick 1 5") + Encoding.UTF8.GetByteCount("a\"bé"), bytes);
        Assert.Throws<System.Text.Json.JsonException>(() => PollBatchReader.ReadHeader("""{"cursor":1}"""u8.ToArray()));
    }

    [Fact]
    public async Task Long_polling_push_with_the_raw_client_takes_one_request_per_delivered_message()
    {
        var bench = (await BenchRun.StartAsync("push", "-t", "longpoll", "-c", "3", "-d", "1.5", "--warmup", "0.5", "--interval", "200",
            "--server-arg", "LongPolling:PollTimeout=00:00:10", "--poll-client", "raw")).Passed();
        var run = bench.Single;

        Assert.Equal("minimal", run.Headers);
        Assert.True(run.Window.Received > 0);
        Assert.Equal(0, run.Totals.Lost);
        Assert.Equal(0, run.Totals.Duplicates);
        Assert.Equal(0, run.Window.EmptyPolls);
        // At most one GET per tick (no poll came back empty, so every GET carried at least one): a tick that arrives while
        // its client is between polls rides with the next one, so fewer requests; on a quiet box about one in ten, on a
        // loaded one (a client descheduled for several ticks) half or more. Short polling, below, asks more than once.
        Assert.InRange(run.RequestsPerMessage!.Value, double.Epsilon, 1.0);
        Assert.True(run.HttpOverheadPerMessage > 0);
        Assert.NotNull(run.Latency);
    }

    [Fact]
    public async Task Short_polling_push_with_the_raw_client_asks_more_often_than_messages_arrive()
    {
        var bench = (await BenchRun.StartAsync("push", "-t", "shortpoll", "-c", "3", "-d", "2", "--warmup", "0.5", "--interval", "500",
            "--poll-interval", "100", "--server-arg", "LongPolling:PollTimeout=00:00:01", "--poll-client", "raw")).Passed();
        var run = bench.Single;

        Assert.Equal("minimal", run.Headers);
        Assert.True(run.Window.Received > 0);
        Assert.Equal(0, run.Totals.Lost);
        Assert.Equal(0, run.Totals.Duplicates);
        Assert.True(run.RequestsPerMessage >= 1, $"requests per message {run.RequestsPerMessage}");
        Assert.True(run.Window.EmptyPolls > 0);
    }

    [Fact]
    public async Task Echo_refuses_the_raw_client()
    {
        var bench = await BenchRun.StartAsync("echo", "-t", "longpoll", "--poll-client", "raw");
        Assert.Equal(2, bench.ExitCode);
        Assert.Contains("--poll-client raw applies to the push and idle scenarios", bench.Output);
    }
}
