using System.Collections.Concurrent;

namespace PushCompare.Bench.Clients;

/// <summary>Errors of one run: a total and the first distinct messages (with counts) for the report.</summary>
internal sealed class ErrorLog
{
    private const int MaxDistinct = 20;
    private readonly ConcurrentDictionary<string, int> _samples = new();
    private long _count;

    public long Count => Interlocked.Read(ref _count);

    public void Add(string message)
    {
        Interlocked.Increment(ref _count);
        if (_samples.Count < MaxDistinct || _samples.ContainsKey(message)) _samples.AddOrUpdate(message, 1, (_, n) => n + 1);
    }

    public List<string> Samples() => [.. _samples.OrderByDescending(p => p.Value).Select(p => p.Value > 1 ? $"{p.Key} (×{p.Value})" : p.Key)];
}
