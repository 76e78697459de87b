using System.Threading.Channels;

namespace PushCompare.Web.Backplane;

/// <summary>What the pub/sub notice of a session says to a reader on this instance (see <see cref="RedisScripts"/>).</summary>
internal enum NoticeKind
{
    Message,    // the message handed to reader Reader: Seq, QueuedAtMs, Text
    Superseded, // reader Reader was replaced by a newer one
    Closed,     // the session closed: Text is the stored reason
    Reread,     // a notice may have been missed (reconnection) or the instance drains: look in Redis
    Recheck,    // a script that may have handed this instance a message went unanswered: look in Redis if it answers now
}

internal readonly record struct Notice(NoticeKind Kind, long Reader = 0, long Seq = 0, long QueuedAtMs = 0, string? Text = null)
{
    /// <summary>"m &lt;id&gt; &lt;reader&gt; &lt;seq&gt; &lt;ms&gt; &lt;text&gt;", "s &lt;id&gt; &lt;reader&gt;" or "c &lt;id&gt; &lt;reason&gt;"; false for anything else.</summary>
    public static bool TryParse(string payload, out string id, out Notice notice)
    {
        id = "";
        notice = default;
        var parts = payload.Split(' ', payload.StartsWith('m') ? 6 : 3);
        if (parts.Length < 3 || parts[0].Length != 1) return false;
        id = parts[1];
        switch (parts[0][0])
        {
            case 'm' when parts.Length == 6 && long.TryParse(parts[2], out long reader) && long.TryParse(parts[3], out long seq) && long.TryParse(parts[4], out long ms):
                notice = new(NoticeKind.Message, reader, seq, ms, parts[5]);
                return true;
            case 's' when long.TryParse(parts[2], out long superseded):
                notice = new(NoticeKind.Superseded, superseded);
                return true;
            case 'c':
                notice = new(NoticeKind.Closed, Text: parts[2]);
                return true;
            default:
                return false;
        }
    }
}

/// <summary>
/// The readers of this instance, by session id: a held poll or an open stream registers an inbox before its attach
/// script runs, so every notice published for the session after that script (on any instance) reaches it, even one
/// that arrives before the script's own answer.
/// </summary>
internal sealed class Wakeups
{
    private readonly Dictionary<string, List<Inbox>> _byId = new(StringComparer.Ordinal);

    /// <summary>An inbox for the notices about <paramref name="id"/>; dispose it when done reading.</summary>
    public Inbox Register(string id)
    {
        var inbox = new Inbox(this, id);
        lock (_byId)
        {
            if (!_byId.TryGetValue(id, out var list)) _byId[id] = list = [];
            list.Add(inbox);
        }
        return inbox;
    }

    /// <summary>Hands the notice to every inbox of <paramref name="id"/>; each keeps what concerns its own reader.</summary>
    public void Post(string id, Notice notice)
    {
        lock (_byId)
        {
            if (!_byId.TryGetValue(id, out var list)) return;
            foreach (var inbox in list) inbox.Writer.TryWrite(notice);
        }
    }

    /// <summary>Every reader looks in Redis (a drain, or a reconnection after which a notice may have been missed).</summary>
    public void RereadAll()
    {
        lock (_byId)
        {
            foreach (var list in _byId.Values)
                foreach (var inbox in list) inbox.Writer.TryWrite(new Notice(NoticeKind.Reread));
        }
    }

    private void Remove(Inbox inbox)
    {
        lock (_byId)
        {
            if (_byId.TryGetValue(inbox.Id, out var list) && list.Remove(inbox) && list.Count == 0) _byId.Remove(inbox.Id);
        }
    }

    /// <summary>
    /// One reader's notices, in the order Redis published them. Unbounded: what it holds is also in the session's log,
    /// whose backlog limit closes the session (and so ends the reader) long before this grows large.
    /// </summary>
    public sealed class Inbox(Wakeups owner, string id) : IDisposable
    {
        private readonly Channel<Notice> _notices = Channel.CreateUnbounded<Notice>(new() { SingleReader = true });

        public string Id => id;

        internal ChannelWriter<Notice> Writer => _notices.Writer;

        public ChannelReader<Notice> Reader => _notices.Reader;

        public void Dispose() => owner.Remove(this);
    }
}
