namespace PushCompare.Bench.Clients;

/// <summary>
/// Exactly-once, in-order delivery of numbers 1, 2, 3…: a number seen twice (or going back) is a duplicate, a
/// number skipped is lost. One per client loop; not thread-safe.
/// </summary>
internal struct SequenceChecker()
{
    private long _next = 1;

    public long Lost { get; private set; }

    public long Duplicates { get; private set; }

    /// <summary>The highest number seen so far (0 before the first).</summary>
    public readonly long Last => _next - 1;

    /// <summary>Records <paramref name="number"/>; false when it was not the expected next one.</summary>
    public bool Observe(long number)
    {
        if (number == _next)
        {
            _next++;
            return true;
        }
        if (number < _next)
        {
            Duplicates++;
            return false;
        }
        Lost += number - _next;
        _next = number + 1;
        return false;
    }
}
