using HdrHistogram;

namespace PushCompare.Bench.Metrics;

/// <summary>
/// Latencies in microseconds, recorded from many client loops at once. HdrHistogram's <see cref="Recorder"/> is
/// wait-free for writers; several are striped by client so loops on different cores do not share one counter line.
/// One consumer (the run's monitor) takes interval histograms for the live display and adds them to the total.
/// </summary>
internal sealed class LatencyStats
{
    public const long HighestMicros = 60L * 60 * 1_000_000; // one hour; larger values are clamped
    private readonly Recorder[] _stripes;
    private readonly HistogramBase _total = NewHistogram();
    private readonly HistogramBase _scratch = NewHistogram();
    private readonly HistogramBase?[] _recycled; // a recorder only takes back histograms it handed out

    public LatencyStats()
    {
        _stripes = new Recorder[Math.Max(4, Environment.ProcessorCount * 4)];
        _recycled = new HistogramBase?[_stripes.Length];
        for (int i = 0; i < _stripes.Length; i++)
        {
            _stripes[i] = HistogramFactory.With64BitBucketSize().WithValuesFrom(1).WithValuesUpTo(HighestMicros).WithPrecisionOf(3)
                .WithThreadSafeWrites().WithThreadSafeReads().Create();
        }
    }

    public static HistogramBase NewHistogram() => new LongHistogram(1, HighestMicros, 3);

    /// <summary>Records one latency for client <paramref name="client"/> (used only to pick a stripe).</summary>
    public void Record(int client, long micros) => _stripes[client % _stripes.Length].RecordValue(Math.Clamp(micros, 1, HighestMicros));

    /// <summary>
    /// Everything recorded since the last call; the caller decides whether it counts (<see cref="Accept"/>) or not.
    /// The histogram returned is reused by the next call, so taking an interval allocates nothing.
    /// </summary>
    public HistogramBase TakeInterval()
    {
        var sum = _scratch;
        sum.Reset();
        for (int i = 0; i < _stripes.Length; i++)
        {
            var interval = _recycled[i] = _recycled[i] is { } old ? _stripes[i].GetIntervalHistogram(old) : _stripes[i].GetIntervalHistogram();
            sum.Add(interval);
        }
        return sum;
    }

    /// <summary>Adds an interval taken inside the measurement window to the run's total.</summary>
    public void Accept(HistogramBase interval) => _total.Add(interval);

    public HistogramBase Total => _total;
}

/// <summary>Percentiles in milliseconds, as written to reports.</summary>
public sealed record LatencySummary(long Count, double MeanMs, double P50Ms, double P90Ms, double P99Ms, double P999Ms, double MaxMs)
{
    /// <summary>The smallest value recorded, rounded down to its histogram bucket (at most 0.1 % below it): a floor that holds.</summary>
    public double MinMs { get; init; }

    public static LatencySummary? From(HistogramBase h)
    {
        if (h.TotalCount == 0) return null;
        static double Ms(long micros) => micros / 1000.0;
        return new LatencySummary(h.TotalCount, h.GetMean() / 1000.0, Ms(h.GetValueAtPercentile(50)), Ms(h.GetValueAtPercentile(90)),
            Ms(h.GetValueAtPercentile(99)), Ms(h.GetValueAtPercentile(99.9)), Ms(h.GetMaxValue()))
        {
            MinMs = Ms(h.LowestEquivalentValue(h.RecordedValues().First().ValueIteratedTo)),
        };
    }
}
