using Microsoft.AspNetCore.Http.Features;

namespace PushCompare.Web.WebSockets;

/// <summary>
/// The TCP connection under one WebSocket, for the session to end it the way RFC 6455 §7.1.1 asks. Installed in place of
/// two request features before the framework's WebSocket middleware:
/// <list type="bullet">
/// <item>the HTTP/1.1 upgrade, to keep the upgraded stream, whose writes are shut once the server's close frame is out;</item>
/// <item>the request lifetime, because the middleware resets the connection (<see cref="HttpContext.Abort"/>) whenever its
/// WebSocket is disposed or cancelled in the Aborted state, which is its state after every 1002/1007 (and after a
/// cancelled wait for the peer's close frame). Once the server's close frame is out the session takes over the end of
/// the connection (<see cref="TakeOverEnd"/>): it returns (at once after a protocol error, else at the peer's close
/// frame), which ends TCP with a FIN, and those resets are dropped.</item>
/// </list>
/// </summary>
internal sealed class UpgradedConnection(IHttpUpgradeFeature upgrade, IHttpRequestLifetimeFeature lifetime) : IHttpUpgradeFeature, IHttpRequestLifetimeFeature
{
    private volatile bool _endTakenOver;

    public bool IsUpgradableRequest => upgrade.IsUpgradableRequest;

    /// <summary>The upgraded connection, once the 101 is out.</summary>
    public UpgradedStream? Stream { get; private set; }

    public async Task<Stream> UpgradeAsync() => Stream = new UpgradedStream(await upgrade.UpgradeAsync());

    public CancellationToken RequestAborted
    {
        get => lifetime.RequestAborted;
        set => lifetime.RequestAborted = value;
    }

    /// <summary>A reset asked for by anyone but the session (the framework's WebSocket): dropped once the session has taken over the end.</summary>
    public void Abort()
    {
        if (!_endTakenOver) lifetime.Abort();
    }

    /// <summary>The server's close frame is out: from now on the session ends the connection, by returning (a FIN).</summary>
    public void TakeOverEnd() => _endTakenOver = true;

    /// <summary>The session's own reset, always carried out: for a peer that no longer reads.</summary>
    public void Reset() => lifetime.Abort();
}

/// <summary>
/// The upgraded connection as the framework's WebSocket sees it, passed straight through, except that its writes can be
/// shut: once the server's close frame is out nothing may follow it (RFC 6455 §5.5.1), not even a keep-alive ping.
/// </summary>
internal sealed class UpgradedStream(Stream inner) : Stream
{
    private volatile bool _writesShut;

    /// <summary>From now on writes are dropped (and reported as done, so the framework does not fail on them).</summary>
    public void ShutWrites() => _writesShut = true;

    public override bool CanRead => inner.CanRead;
    public override bool CanWrite => inner.CanWrite;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        inner.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        inner.ReadAsync(buffer, offset, count, cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        _writesShut ? ValueTask.CompletedTask : inner.WriteAsync(buffer, cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        _writesShut ? Task.CompletedTask : inner.WriteAsync(buffer, offset, count, cancellationToken);

    public override void Write(byte[] buffer, int offset, int count)
    {
        if (!_writesShut) inner.Write(buffer, offset, count);
    }

    public override Task FlushAsync(CancellationToken cancellationToken) =>
        _writesShut ? Task.CompletedTask : inner.FlushAsync(cancellationToken);

    public override void Flush()
    {
        if (!_writesShut) inner.Flush();
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        // Kestrel's upgraded stream ignores Dispose (the connection ends when the request delegate returns); pass it on anyway.
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
