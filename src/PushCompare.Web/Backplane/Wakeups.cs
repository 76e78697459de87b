namespace PushCompare.Web.Backplane;

/// <summary>
/// The readers of this instance waiting on a session, by id: a held poll or an open stream arms a wake-up before it
/// reads the log, so a message queued after that read (on any instance) always wakes it through the pub/sub notice.
/// </summary>
internal sealed class Wakeups
{
    private readonly Dictionary<string, Entry> _byId = new(StringComparer.Ordinal);

    private sealed class Entry
    {
        public TaskCompletionSource Signal = NewSignal();
        public int Armed;
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A wake-up for the next notice about <paramref name="id"/>; dispose it when done waiting.</summary>
    public Armed Arm(string id)
    {
        lock (_byId)
        {
            if (!_byId.TryGetValue(id, out var entry)) _byId[id] = entry = new Entry();
            entry.Armed++;
            return new Armed(this, id, entry, entry.Signal.Task);
        }
    }

    /// <summary>Wakes every reader of <paramref name="id"/> armed now; each re-reads the log to learn what happened.</summary>
    public void Fire(string id)
    {
        TaskCompletionSource? fired = null;
        lock (_byId)
        {
            if (_byId.TryGetValue(id, out var entry))
            {
                fired = entry.Signal;
                entry.Signal = NewSignal();
            }
        }
        fired?.TrySetResult();
    }

    /// <summary>Wakes every reader (a drain, or a reconnection after which a notice may have been missed).</summary>
    public void FireAll()
    {
        List<TaskCompletionSource> fired;
        lock (_byId)
        {
            fired = new(_byId.Count);
            foreach (var entry in _byId.Values)
            {
                fired.Add(entry.Signal);
                entry.Signal = NewSignal();
            }
        }
        foreach (var signal in fired) signal.TrySetResult();
    }

    public readonly struct Armed(Wakeups owner, string id, object entry, Task woken) : IDisposable
    {
        public Task Woken => woken;

        public void Dispose()
        {
            lock (owner._byId)
            {
                var e = (Entry)entry;
                if (--e.Armed == 0 && owner._byId.TryGetValue(id, out var current) && ReferenceEquals(current, e)) owner._byId.Remove(id);
            }
        }
    }
}
