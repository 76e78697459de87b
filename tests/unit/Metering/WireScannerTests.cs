using System.Text;
using PushCompare.Metering;

namespace PushCompare.UnitTests.Metering;

/// <summary>
/// The passive TLS record and HTTP/2 frame scanners against hand-built byte sequences, fed whole and split at every
/// boundary (each byte sequence cut into two chunks at every position, and byte by byte), and the record-overhead
/// split rule.
/// </summary>
public sealed class WireScannerTests
{
    private static byte[] Record(byte type, int length) =>
        [type, 0x03, 0x03, (byte)(length >> 8), (byte)length, .. new byte[length]];

    private static byte[] Frame(byte type, byte flags, int stream, byte[] payload) =>
        [(byte)(payload.Length >> 16), (byte)(payload.Length >> 8), (byte)payload.Length, type, flags,
         (byte)(stream >> 24), (byte)(stream >> 16), (byte)(stream >> 8), (byte)stream, .. payload];

    private static IEnumerable<byte[][]> Splits(byte[] bytes)
    {
        yield return [bytes];
        for (int at = 1; at < bytes.Length; at++) yield return [bytes[..at], bytes[at..]];
        yield return [.. bytes.Select(b => new[] { b })];
    }

    private sealed class Records : ITlsRecordSink
    {
        public List<(byte Type, int Length)> Seen { get; } = [];

        public void Record(byte contentType, int length) => Seen.Add((contentType, length));
    }

    [Fact]
    public void The_TLS_record_scanner_reports_each_record_header_whatever_the_chunks()
    {
        // A ClientHello-sized handshake record, a ChangeCipherSpec, an empty record, two application-data records and an alert.
        byte[] wire = [.. Record(22, 517), .. Record(20, 1), .. Record(23, 0), .. Record(23, 53), .. Record(23, 300), .. Record(21, 2)];
        (byte, int)[] expected = [(22, 517), (20, 1), (23, 0), (23, 53), (23, 300), (21, 2)];
        foreach (var chunks in Splits(wire))
        {
            var scanner = default(TlsRecordScanner);
            var sink = new Records();
            foreach (var chunk in chunks) scanner.Scan(chunk, sink);
            Assert.Equal(expected, sink.Seen);
        }
    }

    private sealed class Frames : IHttp2FrameSink
    {
        public List<Http2FrameHeader> Headers { get; } = [];
        public Dictionary<int, long> BytesByStream { get; } = [];
        public Dictionary<int, List<byte>> DataByStream { get; } = [];

        public void Frame(in Http2FrameHeader header) => Headers.Add(header);

        public void Bytes(int streamId, int count) => BytesByStream[streamId] = BytesByStream.GetValueOrDefault(streamId) + count;

        public void Data(int streamId, ReadOnlySpan<byte> data)
        {
            if (!DataByStream.TryGetValue(streamId, out var list)) DataByStream[streamId] = list = [];
            list.AddRange(data.ToArray());
        }
    }

    [Fact]
    public void The_HTTP2_frame_scanner_gives_every_byte_to_its_stream_and_DATA_payload_without_padding()
    {
        byte[] preface = Encoding.ASCII.GetBytes("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
        byte[] settings = Frame(0x4, 0, 0, new byte[18]);
        byte[] headers = Frame(0x1, 0x4, 1, new byte[40]);                            // END_HEADERS
        byte[] padded = Frame(0x0, 0x8, 1, [3, .. "abc"u8.ToArray(), 0, 0, 0]);     // PADDED: pad length 3
        byte[] data = Frame(0x0, 0x1, 3, "hello"u8.ToArray());                        // END_STREAM
        byte[] empty = Frame(0x0, 0x1, 1, []);
        byte[] window = Frame(0x8, 0, 0, new byte[4]);
        byte[] wire = [.. preface, .. settings, .. headers, .. padded, .. data, .. empty, .. window];

        foreach (var chunks in Splits(wire))
        {
            var scanner = new Http2FrameScanner(clientPreface: true);
            var sink = new Frames();
            foreach (var chunk in chunks) scanner.Scan(chunk, sink);

            Assert.Equal(preface.Length + settings.Length + window.Length, sink.BytesByStream[0]);
            Assert.Equal(headers.Length + padded.Length + empty.Length, sink.BytesByStream[1]);
            Assert.Equal(data.Length, sink.BytesByStream[3]);
            Assert.Equal("abc", Encoding.ASCII.GetString([.. sink.DataByStream[1]]));
            Assert.Equal("hello", Encoding.ASCII.GetString([.. sink.DataByStream[3]]));
            Assert.Equal([0x4, 0x1, 0x0, 0x0, 0x0, 0x8], sink.Headers.Select(h => h.Type));
            Assert.Equal([false, false, false, true, true, false], sink.Headers.Select(h => h.EndsStream));
        }
    }

    [Fact]
    public void The_server_side_HTTP2_scanner_expects_no_preface()
    {
        byte[] wire = [.. Frame(0x4, 0x1, 0, []), .. Frame(0x1, 0x4, 1, new byte[7])];
        var scanner = new Http2FrameScanner(clientPreface: false);
        var sink = new Frames();
        scanner.Scan(wire, sink);
        Assert.Equal(9, sink.BytesByStream[0]);
        Assert.Equal(16, sink.BytesByStream[1]);
    }

    [Theory]
    [InlineData(22, 100)]   // TLS 1.3: 5-byte header + 16-byte tag + inner content type
    [InlineData(22, 1)]
    [InlineData(29, 16_384)] // TLS 1.2 GCM: + 8-byte explicit nonce
    [InlineData(22, 7)]
    public void A_records_overhead_split_by_plaintext_position_always_sums_to_the_whole(long overhead, long plain)
    {
        // Every way of cutting the record's plaintext into two owners adds up to exactly the record's overhead, and
        // each owner's share is within one byte of its proportional share.
        for (long cut = 0; cut <= plain; cut++)
        {
            long first = TlsRecordMeter.Share(overhead, plain, 0, cut), second = TlsRecordMeter.Share(overhead, plain, cut, plain);
            Assert.Equal(overhead, first + second);
            Assert.InRange(first, overhead * cut / plain, overhead * cut / plain + 1);
        }
        long byByte = 0;
        for (long k = 0; k < plain; k++) byByte += TlsRecordMeter.Share(overhead, plain, k, k + 1);
        Assert.Equal(overhead, byByte);
    }

    [Theory]
    [InlineData(true, "TLS_AES_128_GCM_SHA256", 17)]
    [InlineData(true, "TLS_AES_256_GCM_SHA384", 17)]
    [InlineData(true, "TLS_CHACHA20_POLY1305_SHA256", 17)]
    [InlineData(false, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", 24)]
    [InlineData(false, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", 16)]
    [InlineData(false, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", -1)]
    public void Record_protection_follows_the_cipher_suite(bool tls13, string suite, int expected) =>
        Assert.Equal(expected, TlsRecordMeter.Expansion(tls13, Enum.Parse<System.Net.Security.TlsCipherSuite>(suite)));
}
