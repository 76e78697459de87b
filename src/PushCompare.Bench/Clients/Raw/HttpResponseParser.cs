using System.Buffers.Text;
using System.Text;

namespace PushCompare.Bench.Clients.Raw;

/// <summary>Where a complete response lies in the bytes given to <see cref="HttpResponseParser.TryParse"/>.</summary>
internal readonly record struct ParsedResponse(int Status, int BodyOffset, int BodyLength, int Consumed, bool Close);

/// <summary>A response head: <c>Length</c> bytes including the blank line; ContentLength -1 when absent.</summary>
internal readonly record struct ResponseHead(int Status, int Length, long ContentLength, bool Chunked, bool Close, bool EventStream);

/// <summary>
/// Parses one HTTP/1.1 response (status line, headers, a Content-Length or chunked body) from the bytes read so far.
/// Stateless: the caller reads more and calls again until it is complete. A chunked body is moved together in place
/// (chunk-size lines removed), so the body is one span without a copy.
/// </summary>
internal static class HttpResponseParser
{
    private const int MaxHeadBytes = 16 * 1024;

    /// <summary>False while the response is incomplete; throws <see cref="InvalidDataException"/> on bytes that are not one.</summary>
    public static bool TryParse(Span<byte> data, out ParsedResponse response)
    {
        response = default;
        if (!TryParseHead(data, out var head)) return false;
        int bodyStart = head.Length;
        if (head.Status is 204 or 304 || head.Status < 200)
        {
            response = new ParsedResponse(head.Status, bodyStart, 0, bodyStart, head.Close);
            return true;
        }
        if (head.Chunked) return TryParseChunked(data, bodyStart, head.Status, head.Close, out response);
        if (head.ContentLength < 0) throw new InvalidDataException("the response has neither Content-Length nor chunked encoding");
        if (data.Length - bodyStart < head.ContentLength) return false;
        response = new ParsedResponse(head.Status, bodyStart, (int)head.ContentLength, bodyStart + (int)head.ContentLength, head.Close);
        return true;
    }

    /// <summary>
    /// The status line and headers alone, up to and including the blank line; false while they are incomplete. A
    /// stream's body (text/event-stream) never completes, so its reader starts from here.
    /// </summary>
    public static bool TryParseHead(ReadOnlySpan<byte> data, out ResponseHead response)
    {
        response = default;
        int headEnd = data.IndexOf("\r\n\r\n"u8);
        if (headEnd < 0)
        {
            if (data.Length > MaxHeadBytes) throw new InvalidDataException("the response head is larger than 16 KB");
            return false;
        }
        var head = data[..(headEnd + 2)];
        int lineEnd = head.IndexOf("\r\n"u8);
        int status = ParseStatusLine(head[..lineEnd]);
        long contentLength = -1;
        bool chunked = false, close = false, eventStream = false;
        var headers = head[(lineEnd + 2)..];
        while (headers.Length > 0)
        {
            int end = headers.IndexOf("\r\n"u8);
            var line = headers[..end];
            headers = headers[(end + 2)..];
            int colon = line.IndexOf((byte)':');
            if (colon <= 0) throw new InvalidDataException("a response header line has no name");
            var name = line[..colon];
            var value = line[(colon + 1)..].Trim((byte)' ');
            if (Ascii.EqualsIgnoreCase(name, "Content-Length"u8))
            {
                if (!Utf8Parser.TryParse(value, out contentLength, out int used) || used != value.Length || contentLength < 0)
                    throw new InvalidDataException("the response's Content-Length is not a number");
            }
            else if (Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8)) chunked = EndsWithIgnoreCase(value, "chunked"u8);
            else if (Ascii.EqualsIgnoreCase(name, "Connection"u8)) close = EndsWithIgnoreCase(value, "close"u8);
            else if (Ascii.EqualsIgnoreCase(name, "Content-Type"u8)) eventStream = StartsWithIgnoreCase(value, "text/event-stream"u8);
        }
        response = new ResponseHead(status, headEnd + 4, contentLength, chunked, close, eventStream);
        return true;
    }

    private static int ParseStatusLine(ReadOnlySpan<byte> line)
    {
        // "HTTP/1.1 200 OK" (the reason phrase may be empty or absent).
        if (line.Length < 12 || !line.StartsWith("HTTP/1."u8) || line[8] != (byte)' ' ||
            !Utf8Parser.TryParse(line.Slice(9, 3), out int status, out int used) || used != 3 || (line.Length > 12 && line[12] != (byte)' '))
            throw new InvalidDataException("the response does not start with an HTTP/1.x status line");
        return status;
    }

    /// <summary>Validates the chunks first (nothing moves while incomplete), then closes the gaps between them.</summary>
    private static bool TryParseChunked(Span<byte> data, int bodyStart, int status, bool close, out ParsedResponse response)
    {
        response = default;
        int pos = bodyStart;
        int total = 0;
        while (true)
        {
            int lineEnd = data[pos..].IndexOf("\r\n"u8);
            if (lineEnd < 0) return false;
            int size = ChunkSize(data.Slice(pos, lineEnd));
            pos += lineEnd + 2;
            if (size == 0) break;
            if (data.Length - pos < size + 2L) return false;
            if (!data.Slice(pos + size, 2).SequenceEqual("\r\n"u8)) throw new InvalidDataException("a chunk does not end with CRLF");
            pos += size + 2;
            total += size;
        }
        // Trailers (none from Kestrel here) end with an empty line.
        while (true)
        {
            int lineEnd = data[pos..].IndexOf("\r\n"u8);
            if (lineEnd < 0) return false;
            pos += lineEnd + 2;
            if (lineEnd == 0) break;
        }
        int read = bodyStart, write = bodyStart;
        while (true)
        {
            int lineEnd = data[read..].IndexOf("\r\n"u8);
            int size = ChunkSize(data.Slice(read, lineEnd));
            read += lineEnd + 2;
            if (size == 0) break;
            data.Slice(read, size).CopyTo(data[write..]);
            write += size;
            read += size + 2;
        }
        response = new ParsedResponse(status, bodyStart, total, pos, close);
        return true;
    }

    private static int ChunkSize(ReadOnlySpan<byte> line)
    {
        int semicolon = line.IndexOf((byte)';');
        if (semicolon >= 0) line = line[..semicolon];
        line = line.Trim((byte)' ');
        if (line.Length is 0 or > 7 || !Utf8Parser.TryParse(line, out int size, out int used, 'X') || used != line.Length)
            throw new InvalidDataException("a chunk size is not a hex number below 256 MB");
        return size;
    }

    private static bool StartsWithIgnoreCase(ReadOnlySpan<byte> value, ReadOnlySpan<byte> token) =>
        value.Length >= token.Length && Ascii.EqualsIgnoreCase(value[..token.Length], token);

    private static bool EndsWithIgnoreCase(ReadOnlySpan<byte> value, ReadOnlySpan<byte> token) =>
        value.Length >= token.Length && Ascii.EqualsIgnoreCase(value[^token.Length..], token);
}
