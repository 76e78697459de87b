using PushCompare.Bench.Clients;
using PushCompare.Bench.Metrics;

namespace PushCompare.BenchTests;

/// <summary>The pieces every scenario's checks rest on: frame accounting, sequence checks, tick and payload parsing.</summary>
public sealed class ClientPartsTests
{
    // Frames as RFC 6455 §5.2 lays them out (the examples of §5.7 plus a ping and a 16-bit length).
    private static readonly byte[] UnmaskedHello = [0x81, 0x05, .. "Hello"u8];
    private static readonly byte[] MaskedHello = [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58];
    private static readonly byte[] Ping = [0x89, 0x00];
    private static readonly byte[] Close = [0x88, 0x02, 0x03, 0xe8];
    private static readonly byte[] Binary256 = [0x82, 0x7E, 0x01, 0x00, .. new byte[256]];

    [Fact]
    public void Frame_meter_separates_headers_payload_and_control_frames_whatever_the_read_sizes()
    {
        byte[] stream = [.. UnmaskedHello, .. Ping, .. Binary256, .. MaskedHello, .. Close];
        foreach (int chunk in new[] { 1, 3, 7, stream.Length })
        {
            var meter = new FrameMeter();
            for (int i = 0; i < stream.Length; i += chunk) meter.Feed(stream.AsSpan(i, Math.Min(chunk, stream.Length - i)));
            var c = meter.Counts;

            Assert.Equal(3, c.DataMessages);
            Assert.Equal(2 + 4 + 6, c.DataHeaderBytes);
            Assert.Equal(5 + 256 + 5, c.DataPayloadBytes);
            Assert.Equal(1, c.ControlFrames);
            Assert.Equal(2, c.ControlBytes);
            Assert.Equal(4, c.CloseBytes);
            Assert.Equal(stream.Length, c.TotalBytes);
            Assert.False(c.LostSync);
        }
    }

    [Fact]
    public void Frame_meter_stops_on_bytes_that_are_not_a_frame()
    {
        var meter = new FrameMeter();
        meter.Feed("HTTP/1.1 101"u8);
        Assert.True(meter.LostSync);
    }

    [Fact]
    public void Frame_meter_counts_a_fragmented_message_once()
    {
        var meter = new FrameMeter();
        meter.Feed([0x01, 0x02, (byte)'a', (byte)'b', 0x80, 0x01, (byte)'c']); // text "ab" without FIN, continuation "c" with FIN
        Assert.Equal(1, meter.DataMessages);
        Assert.Equal(2, meter.DataFrames);
        Assert.Equal(3, meter.DataPayloadBytes);
    }

    private static readonly byte[] Upgrade101 = "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"u8.ToArray();

    [Fact]
    public void Frame_meter_after_an_http_head_splits_handshake_and_frames_wherever_the_reads_end()
    {
        // The 101, a push and the close, cut into two reads at every position (the first read often holds 101 + frame).
        byte[] stream = [.. Upgrade101, .. UnmaskedHello, .. Close];
        for (int cut = 0; cut <= stream.Length; cut++)
        {
            var meter = new FrameMeter(afterHttpHead: true);
            meter.Feed(stream.AsSpan(0, cut));
            meter.Feed(stream.AsSpan(cut));

            Assert.True(meter.HeadComplete);
            Assert.Equal(Upgrade101.Length, meter.HeadBytes);
            Assert.Equal(1, meter.DataMessages);
            Assert.Equal(UnmaskedHello.Length + Close.Length, meter.Counts.TotalBytes);
            Assert.False(meter.LostSync);
        }
    }

    [Fact]
    public void Frame_meter_finds_the_blank_line_after_near_misses()
    {
        var meter = new FrameMeter(afterHttpHead: true);
        meter.Feed("HTTP/1.1 101 X\r\nA: \r\r\n\n\r\n\r"u8); // CR CR LF LF and CR LF CR: not yet the end
        Assert.False(meter.HeadComplete);
        meter.Feed([(byte)'\n', .. Ping]);
        Assert.True(meter.HeadComplete);
        Assert.Equal("HTTP/1.1 101 X\r\nA: \r\r\n\n\r\n\r\n".Length, meter.HeadBytes);
        Assert.Equal(1, meter.ControlFrames);
    }

    [Fact]
    public async Task Counting_stream_meters_a_frame_that_arrives_in_the_same_read_as_the_101()
    {
        byte[] request = "GET /ws?push=10 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n"u8.ToArray();
        var inner = new OneReadStream([.. Upgrade101, .. UnmaskedHello]);
        var stream = new CountingStream(inner);
        stream.MeterWebSocket();

        await stream.WriteAsync(request);
        byte[] buffer = new byte[4096]; // as the HTTP client reads the response: one read takes whatever has arrived
        int n = await stream.ReadAsync(buffer);

        Assert.Equal(Upgrade101.Length + UnmaskedHello.Length, n);
        Assert.Equal(request.Length, stream.Up!.HeadBytes);
        Assert.Equal(Upgrade101.Length, stream.Down!.HeadBytes);
        Assert.Equal(1, stream.Down.DataMessages);
        Assert.Equal(UnmaskedHello.Length, stream.Down.Counts.TotalBytes);
    }

    /// <summary>Serves its bytes in one read and swallows writes: the server side of a connection, reduced to one read.</summary>
    private sealed class OneReadStream(byte[] toRead) : Stream
    {
        private bool _read;

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_read) return 0;
            _read = true;
            toRead.CopyTo(buffer, offset);
            return toRead.Length;
        }

        public override void Write(byte[] buffer, int offset, int count)
        {
        }

        public override void Flush()
        {
        }

        public override bool CanRead => true;
        public override bool CanWrite => true;
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }

    [Fact]
    public void Sequence_checker_counts_gaps_as_lost_and_repeats_as_duplicates()
    {
        var check = new SequenceChecker();
        Assert.True(check.Observe(1));
        Assert.True(check.Observe(2));
        Assert.False(check.Observe(5)); // 3 and 4 lost
        Assert.False(check.Observe(5)); // repeated
        Assert.False(check.Observe(2)); // back in time
        Assert.True(check.Observe(6));
        Assert.Equal(2, check.Lost);
        Assert.Equal(2, check.Duplicates);
        Assert.Equal(6, check.Last);
    }

    [Theory]
    [InlineData("tick 1 1764000000123", true, 1, 1764000000123)]
    [InlineData("tick 42 5", true, 42, 5)]
    [InlineData("tick 1", false, 0, 0)]
    [InlineData("tock 1 2", false, 0, 0)]
    [InlineData("tick x 2", false, 0, 0)]
    [InlineData("tick 1 2 3", false, 0, 0)]
    public void Tick_parsing_accepts_only_the_protocol_format(string text, bool ok, long n, long ms)
    {
        Assert.Equal(ok, Tick.TryParse(text, out long number, out long serverMs));
        if (!ok) return;
        Assert.Equal(n, number);
        Assert.Equal(ms, serverMs);
    }

    [Fact]
    public void Payload_carries_its_sequence_number_and_rejects_anything_else()
    {
        byte[] message = Payload.Create(32);
        Payload.WriteSequence(message, 0x1234abcd);
        Assert.Equal("1234abcdxxxxxxxxxxxxxxxxxxxxxxxx", System.Text.Encoding.ASCII.GetString(message));
        Assert.True(Payload.TryRead(message, 32, out long seq));
        Assert.Equal(0x1234abcd, seq);
        Assert.False(Payload.TryRead(message.AsSpan(0, 31), 32, out _)); // wrong size
        message[20] = (byte)'y';
        Assert.False(Payload.TryRead(message, 32, out _));               // changed filler
    }
}
