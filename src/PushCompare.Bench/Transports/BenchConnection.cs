using PushCompare.Bench.Clients;
using PushCompare.Bench.Running;

namespace PushCompare.Bench.Transports;

/// <summary>What a connection is opened for: it picks the session's query (<c>echo=exact</c>, <c>push=T</c> or <c>topic=</c>, or none).</summary>
internal enum SessionKind
{
    Echo,
    Push,
    Idle,
}

/// <summary>Takes each delivered message, in order, as its bytes (valid only during the call).</summary>
internal interface IMessageSink
{
    void OnMessage(ReadOnlySpan<byte> message);
}

/// <summary>
/// One simulated user's connection (or session) over one transport, the only thing a workload talks to: open it,
/// send message N, receive every message through a callback, finish, close. Each transport says here how it does
/// those (a WebSocket, a polling session, an event stream), so the workloads are written once.
/// </summary>
internal abstract class BenchConnection(int index, RunContext context, ClientCounters counters, SessionKind kind)
{
    public int Index { get; } = index;

    protected RunContext Context { get; } = context;

    protected ClientCounters Counters { get; } = counters;

    protected SessionKind Kind { get; } = kind;

    /// <summary>Opens the connection or session; throws when the server refuses it.</summary>
    public abstract Task OpenAsync(CancellationToken cancel);

    /// <summary>
    /// Receives until the connection has ended (after <see cref="FinishAsync"/>, or the server ended it), handing each
    /// message to <paramref name="sink"/>. Started once, after <see cref="OpenAsync"/>.
    /// </summary>
    public abstract Task ReceiveAsync(IMessageSink sink);

    /// <summary>Sends message number <paramref name="sequence"/>; false when the server refused it (the error is recorded).</summary>
    public abstract ValueTask<bool> SendAsync(long sequence, ReadOnlyMemory<byte> message);

    /// <summary>Nothing more will be sent or awaited: starts the transport's clean end, after which <see cref="ReceiveAsync"/> returns.</summary>
    public abstract Task FinishAsync();

    /// <summary>Releases the connection or session; best effort, after the window, so it never fails the run.</summary>
    public abstract Task CloseAsync();

    /// <summary>
    /// A send completes once written, with no answer to wait for (a WebSocket frame): many clients can share one pacing
    /// loop. False when each send waits for its HTTP answer, so each client paces itself.
    /// </summary>
    public virtual bool SendsWithoutAnswer => false;

    /// <summary>Open loop: the sends between this and <see cref="EndBatchAsync"/> may leave in one write (same bytes, fewer system calls).</summary>
    public virtual void BeginBatch()
    {
    }

    public virtual ValueTask EndBatchAsync() => ValueTask.CompletedTask;

    protected void Error(string message)
    {
        Interlocked.Increment(ref Counters.Errors);
        Context.Errors.Add(message);
    }

    protected static string Shorten(string text) => text.Length <= 300 ? text : text[..300] + "…";

    protected static string Shorten(ReadOnlySpan<byte> body) => Shorten(System.Text.Encoding.UTF8.GetString(body));
}
