using System.Net.Http.Headers;
using PushCompare.Bench.Cli;
using PushCompare.Bench.Metrics;

namespace PushCompare.Bench.Clients;

/// <summary>
/// The HTTP client of one polling run: one <see cref="SocketsHttpHandler"/> (HTTP/1.1 keep-alive pool, as browsers
/// use for polling) whose connections all go through <see cref="CountingStream"/>, so every header and body byte
/// is counted. With <see cref="HeaderProfile.Chromium"/> each request carries the headers a browser would send.
/// </summary>
internal sealed class PollHttp : IDisposable
{
    private readonly HttpClient _client;
    private readonly HeaderProfile _profile;
    private readonly string _origin;

    /// <param name="decompress">Accept and decode Brotli/gzip/deflate (--compression); counting stays below decoding, on the wire.</param>
    public PollHttp(Uri baseUri, HeaderProfile profile, TrafficMeter traffic, bool decompress = false)
    {
        _profile = profile;
        _origin = baseUri.GetLeftPart(UriPartial.Authority);
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = decompress ? System.Net.DecompressionMethods.All : System.Net.DecompressionMethods.None,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            ConnectCallback = async (context, cancel) =>
            {
                var counted = new CountingStream(await SocketFactory.ConnectAsync(context.DnsEndPoint, cancel));
                traffic.Add(counted);
                return counted;
            },
        };
        _client = new HttpClient(handler) { BaseAddress = baseUri, Timeout = Timeout.InfiniteTimeSpan };
        _client.DefaultRequestVersion = System.Net.HttpVersion.Version11;
        _client.DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact;
    }

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

    public Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancel) =>
        _client.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancel);

    private HttpRequestMessage Create(HttpMethod method, string pathAndQuery, (string Name, string Value)[] chromium)
    {
        var request = new HttpRequestMessage(method, pathAndQuery);
        if (_profile == HeaderProfile.Chromium)
        {
            foreach (var (name, value) in chromium) request.Headers.TryAddWithoutValidation(name, ChromiumHeaders.Expand(value, _origin));
        }
        return request;
    }

    public void Dispose() => _client.Dispose();
}
