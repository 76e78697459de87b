using System.Text;
using PushCompare.Bench.Cli;

namespace PushCompare.Bench.Clients.Sse;

/// <summary>
/// The header lines the SSE client writes after its request line and Host, encoded once per run. The minimal profile
/// adds nothing (as HttpClient and the raw polling client: Host, and Content-Length / Content-Type on a POST); the
/// Chromium profile adds what Chromium sends for an EventSource and for the page's fetch() POSTs and DELETE
/// (<see cref="ChromiumHeaders"/>). Content-Length and Content-Type come last here (Chromium puts them earlier): the
/// same bytes, in another order.
/// </summary>
internal sealed class SseRequestHeads
{
    private static SseRequestHeads? _last; // every client of a run asks for the same one

    private SseRequestHeads(HeaderProfile profile, string origin)
    {
        Profile = profile;
        Origin = origin;
        bool chromium = profile == HeaderProfile.Chromium;
        Post = chromium ? Lines(ChromiumHeaders.FetchPost, origin) : [];
        var stream = ChromiumHeaders.EventSource;
        StreamBeforeLastEventId = chromium ? Lines(stream[..ChromiumHeaders.LastEventIdPosition], origin) : [];
        StreamAfterLastEventId = chromium ? Lines(stream[ChromiumHeaders.LastEventIdPosition..], origin) : [];
        TextContentType = Encoding.ASCII.GetBytes($"Content-Type: {(chromium ? ChromiumHeaders.TextContentType : "text/plain; charset=utf-8")}\r\n");
    }

    public HeaderProfile Profile { get; }

    public string Origin { get; }

    /// <summary>A POST's lines (opening the session, a message, an ack) and a DELETE's: fetch() sends the same set for both.</summary>
    public byte[] Post { get; }

    /// <summary>The stream GET's lines; <c>Last-Event-ID</c>, on a reconnect, goes between the two parts.</summary>
    public byte[] StreamBeforeLastEventId { get; }

    public byte[] StreamAfterLastEventId { get; }

    /// <summary>A message's Content-Type line: HttpClient's form, or what Chromium sends for a string body.</summary>
    public byte[] TextContentType { get; }

    public static SseRequestHeads For(HeaderProfile profile, Uri baseUri)
    {
        string origin = baseUri.GetLeftPart(UriPartial.Authority);
        var last = Volatile.Read(ref _last);
        if (last is not null && last.Profile == profile && last.Origin == origin) return last;
        var heads = new SseRequestHeads(profile, origin);
        Volatile.Write(ref _last, heads);
        return heads;
    }

    private static byte[] Lines(ReadOnlySpan<(string Name, string Value)> headers, string origin)
    {
        var text = new StringBuilder();
        foreach (var (name, value) in headers) text.Append(name).Append(": ").Append(ChromiumHeaders.Expand(value, origin)).Append("\r\n");
        return Encoding.ASCII.GetBytes(text.ToString());
    }
}
