using PushCompare.Bench.Cli;

namespace PushCompare.Bench.Clients.Sse;

/// <summary>
/// The SSE client's requests over HTTP/2, where the lean HTTP/1.1 connection cannot go: the run's
/// <see cref="PollHttp"/> (SocketsHttpHandler, HTTP/2 exactly, the client's connection shared by its stream and its
/// POSTs as a browser's tab shares one). The stream's body arrives without chunk framing (DATA frames, removed by the
/// handler) and ends with END_STREAM, which reads as end of body. One stream open at a time.
/// </summary>
internal sealed class SseHttp2(PollHttp http, int client, HeaderProfile profile)
{
    private HttpResponseMessage? _response;
    private Stream? _body;
    private byte[] _buffer = [];
    private long _streamBytes;

    /// <summary>Body bytes of the open stream handed to the parser (HTTP/2 has no per-stream counting stream to compare with).</summary>
    public long StreamBytesRead => Interlocked.Read(ref _streamBytes);

    /// <summary>Sends a request and reads its whole response: the status and the body.</summary>
    public async Task<(int Status, byte[] Body)> SendAsync(HttpRequestMessage request, CancellationToken cancel)
    {
        using (request)
        using (var response = await http.SendAsync(client, request, cancel))
        {
            return ((int)response.StatusCode, await response.Content.ReadAsByteArrayAsync(cancel));
        }
    }

    public HttpRequestMessage Post(string pathAndQuery, ReadOnlyMemory<byte>? body) => http.Post(pathAndQuery, body);

    public HttpRequestMessage Delete(string pathAndQuery) => http.Delete(pathAndQuery);

    /// <summary>
    /// GETs the stream, with EventSource's headers in the Chromium profile and <c>Last-Event-ID</c> on a reconnect. A 200
    /// <c>text/event-stream</c> stays open for <see cref="ReadAsync"/>; any other answer is returned with its body.
    /// </summary>
    public async Task<(int Status, bool EventStream, byte[] Body)> OpenStreamAsync(string pathAndQuery, long? lastEventId, CancellationToken cancel)
    {
        Abort();
        var request = http.Create(HttpMethod.Get, pathAndQuery, ChromiumHeaders.EventSource);
        if (profile != HeaderProfile.Chromium) request.Headers.TryAddWithoutValidation("Accept", "text/event-stream");
        if (lastEventId is { } id) request.Headers.TryAddWithoutValidation("Last-Event-ID", id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var response = await http.SendForStreamAsync(client, request, cancel);
        request.Dispose();
        int status = (int)response.StatusCode;
        bool eventStream = response.Content.Headers.ContentType?.MediaType == "text/event-stream";
        if (status != 200 || !eventStream)
        {
            using (response) return (status, eventStream, await response.Content.ReadAsByteArrayAsync(cancel));
        }
        _response = response;
        _body = await response.Content.ReadAsStreamAsync(cancel);
        if (_buffer.Length == 0) _buffer = new byte[4096];
        Interlocked.Exchange(ref _streamBytes, 0);
        return (status, true, []);
    }

    /// <summary>The stream's next bytes; empty at END_STREAM (the server ended the response).</summary>
    public async ValueTask<ReadOnlyMemory<byte>> ReadAsync(CancellationToken cancel)
    {
        int n = await _body!.ReadAsync(_buffer, cancel);
        Interlocked.Add(ref _streamBytes, n);
        return _buffer.AsMemory(0, n);
    }

    /// <summary>Ends the open stream (RST_STREAM), so a pending read ends.</summary>
    public void Abort()
    {
        _body?.Dispose();
        _response?.Dispose();
        _body = null;
        _response = null;
    }
}
