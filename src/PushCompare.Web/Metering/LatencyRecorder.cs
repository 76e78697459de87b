using HdrHistogram;

namespace PushCompare.Web.Metering;

/// <summary>
/// Delivery latencies of one transport in an HdrHistogram (microseconds, 3 significant digits, up to one hour).
/// Writers use HdrHistogram's wait-free <see cref="Recorder"/>; a reader folds its interval histograms into a total.
/// </summary>
internal sealed class LatencyRecorder
{
    private const long Lowest = 1, Highest = 3_600_000_000; // 1 µs to 1 h
    private const int Digits = 3;

    private readonly Recorder _recorder = new(Lowest, Highest, Digits, (id, low, high, digits) => new LongHistogram(id, low, high, digits));
    private readonly LongHistogram _total = new(Lowest, Highest, Digits);
    private readonly Lock _gate = new();
    private HistogramBase? _interval;

    public void Record(long microseconds) => _recorder.RecordValue(Math.Clamp(microseconds, Lowest, Highest));

    public LatencyStats Read()
    {
        lock (_gate)
        {
            _interval = _interval is null ? _recorder.GetIntervalHistogram() : _recorder.GetIntervalHistogram(_interval);
            _total.Add(_interval);
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
            _recorder.Reset();
            _total.Reset();
        }
    }

    private static double Ms(double microseconds) => Math.Round(microseconds / 1000.0, 3);
}
