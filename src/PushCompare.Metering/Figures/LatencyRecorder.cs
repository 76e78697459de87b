using HdrHistogram;

namespace PushCompare.Metering;

/// <summary>
/// Delivery latencies of one transport in an HdrHistogram (microseconds, 3 significant digits, up to one hour).
/// Writers use HdrHistogram's wait-free <see cref="Recorder"/>, one per core so connections on different cores do not
/// contend on one recorder's counters; a reader folds their interval histograms into a total.
/// </summary>
internal sealed class LatencyRecorder
{
    private const long Lowest = 1, Highest = 3_600_000_000; // 1 µs to 1 h
    private const int Digits = 3;

    private readonly Recorder[] _recorders = [.. Enumerable.Range(0, Environment.ProcessorCount)
        .Select(_ => new Recorder(Lowest, Highest, Digits, (id, low, high, digits) => new LongHistogram(id, low, high, digits)))];
    private readonly HistogramBase?[] _intervals = new HistogramBase?[Environment.ProcessorCount];
    private readonly LongHistogram _total = new(Lowest, Highest, Digits);
    private readonly Lock _gate = new();

    public void Record(long microseconds) =>
        _recorders[Thread.GetCurrentProcessorId() % _recorders.Length].RecordValue(Math.Clamp(microseconds, Lowest, Highest));

    public LatencyStats Read()
    {
        lock (_gate)
        {
            for (int i = 0; i < _recorders.Length; i++)
            {
                var interval = _intervals[i] is { } recycled ? _recorders[i].GetIntervalHistogram(recycled) : _recorders[i].GetIntervalHistogram();
                _total.Add(interval);
                _intervals[i] = interval;
            }
            long count = _total.TotalCount;
            if (count == 0) return LatencyStats.Empty;
            return new LatencyStats(count, Ms(_total.GetMean()), Ms(_total.GetValueAtPercentile(50)),
                Ms(_total.GetValueAtPercentile(90)), Ms(_total.GetValueAtPercentile(99)), Ms(_total.GetMaxValue()));
        }
    }

    public void Reset()
    {
        lock (_gate)
        {
            foreach (var recorder in _recorders) recorder.Reset();
            _total.Reset();
        }
    }

    private static double Ms(double microseconds) => Math.Round(microseconds / 1000.0, 3);
}
