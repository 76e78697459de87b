namespace PushCompare.Bench.Cli;

/// <summary>The HTTP version the clients speak: HTTP/1.1, or HTTP/2 (over TLS only, as browsers speak it).</summary>
public enum HttpProtocol
{
    Http11,
    Http2,
}

/// <summary>
/// What a run's connections are made of: the HTTP version and whether TLS is under it. The three browsers use are
/// HTTP/1.1, HTTP/1.1 + TLS and HTTP/2 + TLS; HTTP/2 without TLS (h2c) is refused, because no browser speaks it.
/// </summary>
public readonly record struct WireStack(HttpProtocol Protocol, bool Tls)
{
    public static readonly WireStack Http11 = new(HttpProtocol.Http11, false);
    public static readonly WireStack Http11Tls = new(HttpProtocol.Http11, true);
    public static readonly WireStack Http2Tls = new(HttpProtocol.Http2, true);

    /// <summary>The matrix of <c>--protocol all</c>, in this order.</summary>
    public static readonly IReadOnlyList<WireStack> All = [Http11, Http11Tls, Http2Tls];

    public bool IsHttp2 => Protocol == HttpProtocol.Http2;

    /// <summary>What reports and the JSON call it: "h1", "h1+tls" or "h2+tls".</summary>
    public string Id => (IsHttp2 ? "h2" : "h1") + (Tls ? "+tls" : "");

    public string Label => (IsHttp2 ? "HTTP/2" : "HTTP/1.1") + (Tls ? " + TLS" : "");

    public override string ToString() => Id;
}
