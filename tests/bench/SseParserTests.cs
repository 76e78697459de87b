using System.Net.ServerSentEvents;
using System.Text;
using PushCompare.Bench.Clients.Raw;

namespace PushCompare.BenchTests;

/// <summary>
/// The SSE client's stream parser (chunked transfer-encoding, then event fields), whatever the chunks and the reads
/// split, and its byte classes; cross-checked against .NET's own <see cref="SseParser"/> on generated streams.
/// </summary>
public sealed class SseParserTests
{
    private sealed record Seen(string Type, string Data, string LastEventId, bool HasId);

    /// <summary>Feeds <paramref name="body"/> in reads of the given sizes (cycled) and returns what was dispatched.</summary>
    private static (List<Seen> Events, SseStreamParser Parser) Parse(byte[] body, params int[] reads)
    {
        var seen = new List<Seen>();
        var parser = new SseStreamParser(e => seen.Add(new Seen(Encoding.UTF8.GetString(e.Type), Encoding.UTF8.GetString(e.Data),
            Encoding.UTF8.GetString(e.LastEventId), e.HasId)));
        int at = 0;
        for (int i = 0; at < body.Length; i++)
        {
            int n = reads.Length == 0 ? body.Length : Math.Min(reads[i % reads.Length], body.Length - at);
            parser.Feed(body.AsSpan(at, n));
            at += n;
        }
        return (seen, parser);
    }

    /// <summary>HTTP/1.1 chunked encoding of <paramref name="text"/> cut at the given offsets, with the last chunk.</summary>
    private static byte[] Chunked(string text, params int[] cuts)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        var output = new MemoryStream();
        int from = 0;
        foreach (int cut in cuts.Append(bytes.Length).Where(c => c > 0).Distinct().Order())
        {
            output.Write(Encoding.ASCII.GetBytes($"{cut - from:x}\r\n"));
            output.Write(bytes, from, cut - from);
            output.Write("\r\n"u8);
            from = cut;
        }
        output.Write("0\r\n\r\n"u8);
        return output.ToArray();
    }

    // What Kestrel wrote for a GET /sse/{id} of the app (captured from the wire): the opening heartbeat, one tick, the end.
    private static readonly byte[] KestrelStream =
        "25\r\nevent: heartbeat\ndata: \nretry: 1000\n\n\r\n22\r\ndata: tick 1 1796114213195\nid: 1\n\n\r\n0\r\n\r\n"u8.ToArray();

    [Fact]
    public void The_apps_own_stream_splits_into_chunk_framing_a_heartbeat_and_one_message_exactly()
    {
        for (int read = 1; read <= KestrelStream.Length; read++)
        {
            var (events, parser) = Parse(KestrelStream, read);

            Assert.Equal([new Seen("heartbeat", "", "", false), new Seen("", "tick 1 1796114213195", "1", true)], events);
            Assert.True(parser.Ended);
            Assert.Equal(1000, parser.RetryMs);
            var c = parser.Counts;
            Assert.Equal((4 + 2) + (4 + 2) + 5, c.ChunkFramingBytes);       // "25\r\n" "\r\n", "22\r\n" "\r\n", "0\r\n\r\n"
            Assert.Equal(1, c.MessageEvents);
            Assert.Equal("tick 1 1796114213195".Length, c.PayloadBytes);
            Assert.Equal("data: ".Length + "\nid: 1\n\n".Length, c.MessageFramingBytes);
            Assert.Equal(1, c.OtherEvents);
            Assert.Equal(0x25, c.OtherEventBytes);                           // the whole heartbeat event
            Assert.Equal(0, c.PendingBytes);
            Assert.Equal(KestrelStream.Length, c.Total);
            Assert.Equal(KestrelStream.Length, parser.Fed);
        }
    }

    [Fact]
    public void Chunk_boundaries_anywhere_inside_fields_and_line_ends_change_nothing()
    {
        const string text = "data: tick 7 17\r\nid: 7\r\n\r\ndata: hello\ndata: world\nid: 8\n\n";
        var expected = new List<Seen> { new("", "tick 7 17", "7", true), new("", "hello\nworld", "8", true) };
        for (int first = 1; first < text.Length; first++)
        {
            for (int second = first; second < text.Length; second += 3)
            {
                // Three chunks split the text at every pair of places: inside "data", between CR and LF, in a value...
                byte[] body = Chunked(text, first, second);
                foreach (int read in new[] { 1, 2, 5, body.Length })
                {
                    var (events, parser) = Parse(body, read);
                    Assert.Equal(expected, events);
                    Assert.True(parser.Ended);
                    Assert.Equal(body.Length, parser.Counts.Total);
                    Assert.Equal("tick 7 17".Length + "hello\nworld".Length, parser.Counts.PayloadBytes);
                }
            }
        }
    }

    [Theory]
    [InlineData("\n")]
    [InlineData("\r\n")]
    [InlineData("\r")]
    public void Lines_may_end_with_LF_CRLF_or_CR(string eol)
    {
        string text = string.Join(eol, "event: heartbeat", "data: ", "", "data: a", "data: b", "id: 3", "", "");
        foreach (int read in new[] { 1, 3, 1000 })
        {
            var (events, parser) = Parse(Chunked(text, text.Length / 2), read);
            Assert.Equal([new Seen("heartbeat", "", "", false), new Seen("", "a\nb", "3", true)], events);
            Assert.Equal(1, parser.Counts.MessageEvents);
            Assert.Equal(3, parser.Counts.PayloadBytes);                   // "a\nb": the joining LF is part of the text
            Assert.Equal(0, parser.Counts.PendingBytes);
        }
    }

    [Fact]
    public void Heartbeats_and_other_types_are_not_messages_and_their_bytes_are_counted_apart()
    {
        const string text = "event: heartbeat\ndata: \n\nevent: superseded\ndata: \n\nevent: message\ndata: m\nid: 1\n\n";
        var (events, parser) = Parse(Chunked(text));
        Assert.Equal(["heartbeat", "superseded", "message"], events.Select(e => e.Type));
        Assert.Equal(1, parser.Counts.MessageEvents);                      // an explicit "message" type is the default one
        Assert.Equal(2, parser.Counts.OtherEvents);
        Assert.Equal("event: heartbeat\ndata: \n\nevent: superseded\ndata: \n\n".Length, parser.Counts.OtherEventBytes);
        Assert.Equal("event: message\ndata: \nid: 1\n\n".Length, parser.Counts.MessageFramingBytes);
    }

    [Fact]
    public void Retry_takes_digits_only_and_ids_persist_until_set_again()
    {
        const string text = "retry: 250\n\nretry: 1x\nretry:\n\ndata: a\nid: 5\n\ndata: b\n\nid\ndata: c\n\nid: x\0y\ndata: d\n\n";
        var (events, parser) = Parse(Chunked(text));
        Assert.Equal(250, parser.RetryMs);                                   // "1x" and an empty value are ignored
        Assert.Equal([new Seen("", "a", "5", true), new Seen("", "b", "5", false), new Seen("", "c", "", true), new Seen("", "d", "", false)], events);
        // The retry-only blocks dispatch nothing and are "other" bytes, as a comment would be.
        Assert.Equal("retry: 250\n\nretry: 1x\nretry:\n\n".Length, parser.Counts.OtherEventBytes);
    }

    [Fact]
    public void Comments_field_forms_and_one_leading_space_follow_the_standard()
    {
        const string text = ": a comment\ndata:no space\ndata:  two spaces\ndata\nunknown: ignored\n\n";
        var (events, _) = Parse(Chunked(text));
        Assert.Equal([new Seen("", "no space\n two spaces\n", "", false)], events);
    }

    [Fact]
    public void An_event_cut_off_by_the_end_of_the_bytes_is_not_dispatched_and_stays_pending()
    {
        const string whole = "data: tick 1 5\nid: 1\n\n", part = "data: tick 2 6\nid";
        byte[] body = Encoding.ASCII.GetBytes($"{whole.Length:x}\r\n{whole}\r\n{part.Length + 5:x}\r\n{part}"); // the chunk is cut too
        var (events, parser) = Parse(body, 4);
        Assert.Single(events);
        Assert.False(parser.Ended);
        Assert.Equal("data: tick 2 6\nid".Length, parser.Counts.PendingBytes);
        Assert.Equal(body.Length, parser.Counts.Total);
    }

    [Theory]
    [InlineData("zz\r\n")]                         // not a hex size
    [InlineData("5\r\nabcdeXY")]                   // chunk data not followed by CRLF
    [InlineData("5\nabcde\r\n")]                   // size line without CR
    [InlineData("0\r\n\r\nHTTP/1.1 200 OK\r\n")]   // bytes after the last chunk
    [InlineData("fffffff0\r\n")]                   // a chunk size beyond 256 MB
    public void A_broken_chunked_stream_is_refused(string body)
    {
        var parser = new SseStreamParser(_ => { });
        Assert.Throws<InvalidDataException>(() => parser.Feed(Encoding.ASCII.GetBytes(body)));
    }

    [Fact]
    public void Chunk_extensions_and_trailers_are_framing()
    {
        byte[] body = "7;name=value\r\ndata: x\r\n2\r\n\n\n\r\n0\r\nX-Trailer: 1\r\n\r\n"u8.ToArray();
        var (events, parser) = Parse(body, 1);
        Assert.Equal([new Seen("", "x", "", false)], events);
        Assert.True(parser.Ended);
        Assert.Equal(body.Length - "data: x\n\n".Length, parser.Counts.ChunkFramingBytes);
    }

    private static string Show(string text) => text.Replace("\r", "\\r").Replace("\n", "\\n");

    /// <summary>
    /// Generated streams (seeded, so a failure repeats): blocks of random fields, values, line ends, comments and ids,
    /// chunked at random and read in random sizes. .NET's <see cref="SseParser"/> reads the same text unchunked and must dispatch
    /// the same events with the same last event id and retry.
    /// </summary>
    [Fact]
    public void Agrees_with_dotnets_SseParser_on_generated_streams()
    {
        var random = new Random(20261201);
        string[] eols = ["\n", "\r\n", "\r"];
        string[] values = ["", " ", "tick 1 2", "héllo wörld", "a:b", " lead", "x\u2028y", "12", "message", "heartbeat"];
        int compared = 0;
        for (int round = 0; round < 300; round++)
        {
            var text = new StringBuilder();
            for (int block = random.Next(1, 12); block > 0; block--)
            {
                var lines = Enumerable.Range(0, random.Next(0, 7)).Select(_ => random.Next(8) switch
                {
                    0 => ": " + values[random.Next(values.Length)],
                    1 => "event: " + values[random.Next(values.Length)],
                    2 => "id: " + values[random.Next(values.Length)],
                    3 => "retry: " + random.Next(5000),
                    4 => "data",
                    5 => "junk: " + values[random.Next(values.Length)],
                    _ => "data: " + values[random.Next(values.Length)],
                }).ToList();
                // SseParser keeps an event: type across a block without data, where the standard resets it; such blocks
                // are not generated, so the two can be compared.
                if (lines.Any(l => l.StartsWith("event:", StringComparison.Ordinal)) && !lines.Any(l => l.StartsWith("data", StringComparison.Ordinal))) lines.Add("data: x");
                foreach (string line in lines.Append("")) text.Append(line).Append(eols[random.Next(eols.Length)]);
            }
            // A CR line end followed by an LF one reads as one CRLF, which can swallow a block's blank line: end with two LFs.
            string stream = text.Append("\n\n").ToString();
            int length = Encoding.UTF8.GetByteCount(stream);
            int[] cuts = [.. Enumerable.Range(0, random.Next(0, 6)).Select(_ => random.Next(1, Math.Max(2, length)))];
            byte[] body = Chunked(stream, cuts);
            int[] reads = [.. Enumerable.Range(0, 4).Select(_ => random.Next(1, 20))];

            var (mine, parser) = Parse(body, reads);
            var reference = SseParser.Create(new MemoryStream(Encoding.UTF8.GetBytes(stream)));
            // An empty "event:" gives .NET's item type "" where the standard (and EventSource) says "message": compared as
            // equal. SseItem.EventId is only an id: seen since the previous item (else null); the standard's last event
            // id, which ours reports, persists until the next id: — folded here.
            string lastId = "";
            var theirs = reference.Enumerate()
                .Select(i => (i.EventType.Length == 0 ? SseParser.EventTypeDefault : i.EventType, i.Data, lastId = i.EventId ?? lastId)).ToList();

            // SseItem.EventId is the event's own id: field (null without one), not the persisting last event id.
            var ours = mine.Select(e => (e.Type.Length == 0 ? SseParser.EventTypeDefault : e.Type, e.Data, e.LastEventId)).ToList();
            Assert.True(theirs.SequenceEqual(ours), $"stream {Show(stream)}:{Environment.NewLine}SseParser {string.Join(" | ", theirs)}{Environment.NewLine}ours      {string.Join(" | ", ours)}");
            Assert.Equal(reference.ReconnectionInterval == Timeout.InfiniteTimeSpan ? null : (long?)reference.ReconnectionInterval.TotalMilliseconds, parser.RetryMs);
            Assert.Equal(body.Length, parser.Counts.Total);
            Assert.Equal(0, parser.Counts.PendingBytes);
            compared += theirs.Count;
        }
        Assert.True(compared > 1000, $"only {compared} events were compared"); // the generator must produce events, not just noise
    }
}
