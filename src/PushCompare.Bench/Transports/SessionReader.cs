using PushCompare.Bench.Cli;
using PushCompare.Bench.Clients;

namespace PushCompare.Bench.Transports;

/// <summary>Takes message <c>number</c> of a session's log; false kills the reader at once (the message was in flight on it).</summary>
internal delegate bool SessionMessageHandler(long number, string text);

/// <summary>
/// A reader of an existing session over one transport, for the switch scenario: it attaches from a cursor (messages
/// up to it are processed and acknowledged), hands each delivered message with its log number to a callback, and dies
/// at once when the callback says so — its connection aborted, no close frame, no DELETE — as a transport killed under
/// a client would. Any session can be read by any transport (docs/protocol.md, "One session, any transport").
/// </summary>
internal abstract class SessionReader(Uri baseUri, WireStack stack)
{
    protected Uri BaseUri { get; } = baseUri;

    protected WireStack Stack { get; } = stack;

    /// <summary>
    /// Reads session <paramref name="sessionId"/> after <paramref name="cursor"/> until <paramref name="onMessage"/> returns
    /// false (the connection is then aborted and the task ends); throws when the server refuses or ends the read.
    /// </summary>
    public abstract Task ReadAsync(string sessionId, long cursor, SessionMessageHandler onMessage, CancellationToken cancel);

    /// <summary>An HTTP client of its own (new connections, nothing shared with the reader before it) over the run's stack.</summary>
    protected HttpClient NewHttpClient() => new(HttpStack.CreateHandler(Stack, BaseUri, traffic: null))
    {
        BaseAddress = BaseUri,
        DefaultRequestVersion = HttpStack.Version(Stack),
        DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        Timeout = Timeout.InfiniteTimeSpan,
    };

    protected static async Task<Exception> RefusedAsync(string request, HttpResponseMessage response) =>
        new InvalidOperationException($"{request} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(CancellationToken.None)}");
}
