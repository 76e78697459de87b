namespace PushCompare.Bench.Clients;

/// <summary>
/// The request headers Chromium 156 sends, for <c>--chromium-headers</c>. Captured from /usr/bin/chromium
/// 156.0.8078.108 (headless, Debian 12) on this project's machine: a page on http://127.0.0.1:PORT/ ran
/// <c>fetch('/poll', {method:'POST'})</c>, a text/plain POST, a GET, and <c>new WebSocket('ws://…/ws')</c>, and a
/// raw HTTP server printed what arrived. Host, Content-Length and the WebSocket key/version/upgrade headers are
/// written by the .NET client itself; "{origin}" becomes the server's origin. Headless Chromium says
/// "HeadlessChrome" in User-Agent, as it does in the e2e tests. The EventSource request was captured the same way
/// from 156.0.8078.114 (2026-12-01) by bench/chromium-headers/capture-sse-headers.py, which also shows that Chromium's
/// fetch() POST with no body sends Content-Length: 0 and that its DELETE carries the POST set without a body.
/// </summary>
internal static class ChromiumHeaders
{
    private const string UserAgent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36";
    private const string SecChUa = "\"Not:A-Brand\";v=\"8\", \"Chromium\";v=\"156\"";

    /// <summary>A same-origin <c>fetch()</c> GET, in Chromium's order.</summary>
    public static readonly (string Name, string Value)[] FetchGet =
    [
        ("Connection", "keep-alive"),
        ("sec-ch-ua-platform", "\"Linux\""),
        ("User-Agent", UserAgent),
        ("sec-ch-ua", SecChUa),
        ("sec-ch-ua-mobile", "?0"),
        ("Accept", "*/*"),
        ("Sec-Fetch-Site", "same-origin"),
        ("Sec-Fetch-Mode", "cors"),
        ("Sec-Fetch-Dest", "empty"),
        ("Referer", "{origin}/"),
        ("Accept-Encoding", "gzip, deflate, br, zstd"),
        ("Accept-Language", "en-US,en;q=0.9"),
    ];

    /// <summary>A same-origin <c>fetch()</c> POST: the GET set plus Origin (Content-Type is set on the body).</summary>
    public static readonly (string Name, string Value)[] FetchPost =
    [
        ("Connection", "keep-alive"),
        ("sec-ch-ua-platform", "\"Linux\""),
        ("User-Agent", UserAgent),
        ("sec-ch-ua", SecChUa),
        ("sec-ch-ua-mobile", "?0"),
        ("Accept", "*/*"),
        ("Origin", "{origin}"),
        ("Sec-Fetch-Site", "same-origin"),
        ("Sec-Fetch-Mode", "cors"),
        ("Sec-Fetch-Dest", "empty"),
        ("Referer", "{origin}/"),
        ("Accept-Encoding", "gzip, deflate, br, zstd"),
        ("Accept-Language", "en-US,en;q=0.9"),
    ];

    /// <summary>What Chromium's text body says it is (a string body in fetch()).</summary>
    public const string TextContentType = "text/plain;charset=UTF-8";

    /// <summary>The WebSocket upgrade's extra headers (the framework adds Host, Connection, Upgrade, key and version).</summary>
    public static readonly (string Name, string Value)[] WebSocketUpgrade =
    [
        ("Pragma", "no-cache"),
        ("Cache-Control", "no-cache"),
        ("User-Agent", UserAgent),
        ("Origin", "{origin}"),
        ("Accept-Encoding", "gzip, deflate, br, zstd"),
        ("Accept-Language", "en-US,en;q=0.9"),
        ("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits"),
    ];

    /// <summary>
    /// <c>new EventSource('/sse/{id}')</c>'s GET, in Chromium's order, after Host. On a reconnect Chromium adds
    /// <c>Last-Event-ID</c> at <see cref="LastEventIdPosition"/>, between sec-ch-ua-mobile and Sec-Fetch-Site.
    /// </summary>
    public static readonly (string Name, string Value)[] EventSource =
    [
        ("Connection", "keep-alive"),
        ("Pragma", "no-cache"),
        ("Cache-Control", "no-cache"),
        ("sec-ch-ua-platform", "\"Linux\""),
        ("User-Agent", UserAgent),
        ("Accept", "text/event-stream"),
        ("sec-ch-ua", SecChUa),
        ("sec-ch-ua-mobile", "?0"),
        ("Sec-Fetch-Site", "same-origin"),
        ("Sec-Fetch-Mode", "cors"),
        ("Sec-Fetch-Dest", "empty"),
        ("Referer", "{origin}/"),
        ("Accept-Encoding", "gzip, deflate, br, zstd"),
        ("Accept-Language", "en-US,en;q=0.9"),
    ];

    public const int LastEventIdPosition = 8;

    public static string Expand(string value, string origin) => value.Replace("{origin}", origin, StringComparison.Ordinal);
}
