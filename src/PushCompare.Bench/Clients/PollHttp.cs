using System.Net.Http.Headers;
using PushCompare.Bench.Cli;
using PushCompare.Bench.Metrics;

namespace PushCompare.Bench.Clients;

/// <summary>
/// The HTTP client of one polling run, over the run's <see cref="WireStack"/> (<see cref="HttpStack"/>: every
/// connection counted at the HTTP layer and at the wire). HTTP/1.1: one <see cref="SocketsHttpHandler"/> keep-alive
/// pool for all clients, as browsers use for polling (a held poll keeps its connection, so each client ends up with
/// its own). HTTP/2: one handler per <c>--clients-per-connection</c> clients, so by default each client has its own
/// connection (as each browser has), its polls, posts and deletes streams on it. With <see cref="HeaderProfile.Chromium"/>
/// each request carries the headers a browser would send.
/// </summary>
internal sealed class PollHttp : IDisposable
{
    private readonly HttpClient? _shared;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<int, HttpClient> _groups = new();
    private readonly HeaderProfile _profile;
    private readonly string _origin;
    private readonly Uri _baseUri;
    private readonly WireStack _stack;
    private readonly TrafficMeter _traffic;
    private readonly int _clientsPerConnection;
    private readonly bool _decompress;
    private readonly Version _version;

    /// <param name="decompress">Accept and decode Brotli/gzip/deflate (--compression); counting stays below decoding, on the wire.</param>
    public PollHttp(Uri baseUri, HeaderProfile profile, TrafficMeter traffic, WireStack stack = default, int clientsPerConnection = 1, bool decompress = false)
    {
        _profile = profile;
        _origin = baseUri.GetLeftPart(UriPartial.Authority);
        _baseUri = baseUri;
        _stack = stack;
        _traffic = traffic;
        _clientsPerConnection = clientsPerConnection;
        _decompress = decompress;
        _version = HttpStack.Version(stack);
        if (!stack.IsHttp2) _shared = NewClient();
    }

    private HttpClient NewClient()
    {
        var handler = HttpStack.CreateHandler(_stack, _baseUri, _traffic);
        if (_decompress) handler.AutomaticDecompression = System.Net.DecompressionMethods.All;
        return new(handler) { BaseAddress = _baseUri, Timeout = Timeout.InfiniteTimeSpan };
    }

    private HttpClient For(int client) => _shared ?? _groups.GetOrAdd(client / _clientsPerConnection, _ => NewClient());

    public HttpRequestMessage Get(string pathAndQuery) => Create(HttpMethod.Get, pathAndQuery, ChromiumHeaders.FetchGet);

    public HttpRequestMessage Delete(string pathAndQuery) => Create(HttpMethod.Delete, pathAndQuery, ChromiumHeaders.FetchPost);

    /// <summary>A POST; with a body it is sent as UTF-8 text/plain, without one as Content-Length: 0 (like fetch with no body).</summary>
    public HttpRequestMessage Post(string pathAndQuery, ReadOnlyMemory<byte>? body)
    {
        var request = Create(HttpMethod.Post, pathAndQuery, ChromiumHeaders.FetchPost);
        if (body is { } bytes)
        {
            var content = new ReadOnlyMemoryContent(bytes);
            if (_profile == HeaderProfile.Chromium) content.Headers.TryAddWithoutValidation("Content-Type", ChromiumHeaders.TextContentType);
            else content.Headers.ContentType = new MediaTypeHeaderValue("text/plain") { CharSet = "utf-8" };
            request.Content = content;
        }
        return request;
    }

    /// <summary>Sends a request of client <paramref name="client"/> and reads its whole response.</summary>
    public Task<HttpResponseMessage> SendAsync(int client, HttpRequestMessage request, CancellationToken cancel) =>
        For(client).SendAsync(request, HttpCompletionOption.ResponseContentRead, cancel);

    /// <summary>Sends a request and returns once the response head is in (a stream: its body is read as it arrives).</summary>
    public Task<HttpResponseMessage> SendForStreamAsync(int client, HttpRequestMessage request, CancellationToken cancel) =>
        For(client).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel);

    /// <summary>A request with the given Chromium header set (when the profile is Chromium) and the run's HTTP version, exactly.</summary>
    public HttpRequestMessage Create(HttpMethod method, string pathAndQuery, (string Name, string Value)[] chromium)
    {
        var request = new HttpRequestMessage(method, pathAndQuery) { Version = _version, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        if (_profile == HeaderProfile.Chromium)
        {
            foreach (var (name, value) in chromium) request.Headers.TryAddWithoutValidation(name, ChromiumHeaders.Expand(value, _origin));
        }
        return request;
    }

    public void Dispose()
    {
        _shared?.Dispose();
        foreach (var client in _groups.Values) client.Dispose();
    }
}
