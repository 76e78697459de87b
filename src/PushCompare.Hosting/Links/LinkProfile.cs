using System.Globalization;

namespace PushCompare.Hosting.Links;

/// <summary>
/// What a network link does to the bytes of a TCP connection, per direction: a round trip (half of it each way, the floor
/// of every delay), optional jitter on top of it, a bandwidth cap, and segment loss as TCP experiences it. Build one with
/// <see cref="Create"/> (which rejects impossible values) or take a named one from <see cref="Named"/>; the figures and
/// their sources are in docs/measuring.md ("Over an emulated link").
/// </summary>
public sealed record LinkProfile
{
    /// <summary>Longest round trip or jitter accepted: beyond it the value is a typo, not a link (a geostationary hop is 0.6 s).</summary>
    public static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(10);

    /// <summary>Slowest link accepted: below it one full segment takes more than a second to leave (1 kbit/s would be 12 s).</summary>
    public const long MinBitsPerSecond = 8_000;

    public const long MaxBitsPerSecond = 100_000_000_000;

    /// <summary>Highest loss accepted: at one segment in two TCP spends its time in exponential back-off, not on a link.</summary>
    public const double MaxLoss = 0.5;

    private LinkProfile(string name, TimeSpan roundTrip, long? bitsPerSecond, double loss, TimeSpan jitter)
    {
        Name = name;
        RoundTrip = roundTrip;
        BitsPerSecond = bitsPerSecond;
        Loss = loss;
        Jitter = jitter;
    }

    /// <summary>How the profile is shown: a named profile's name, or "custom".</summary>
    public string Name { get; }

    /// <summary>The round trip with empty queues: each direction delays every byte by half of it, at least.</summary>
    public TimeSpan RoundTrip { get; }

    /// <summary>Delay added to one direction.</summary>
    public TimeSpan OneWay => RoundTrip / 2;

    /// <summary>The cap each direction sends at (bits of IP packets per second), or null for no cap.</summary>
    public long? BitsPerSecond { get; }

    /// <summary>The probability (0 to <see cref="MaxLoss"/>) that a segment is lost and must be sent again.</summary>
    public double Loss { get; }

    /// <summary>The most a segment is delayed beyond <see cref="OneWay"/> (uniformly 0 to this, never reordering bytes).</summary>
    public TimeSpan Jitter { get; }

    /// <summary>True when the profile changes nothing: no delay, no cap, no loss (the bench and the app then use no proxy at all).</summary>
    public bool IsLoopback => RoundTrip == TimeSpan.Zero && Jitter == TimeSpan.Zero && BitsPerSecond is null && Loss == 0;

    /// <summary>A profile, or an <see cref="ArgumentException"/> saying which value is impossible and what is accepted.</summary>
    public static LinkProfile Create(string name, TimeSpan roundTrip, long? bitsPerSecond = null, double loss = 0,
        TimeSpan jitter = default)
    {
        if (string.IsNullOrWhiteSpace(name))
            throw new ArgumentException("A link profile needs a name.", nameof(name));
        if (roundTrip < TimeSpan.Zero || roundTrip > MaxDelay)
            throw new ArgumentOutOfRangeException(nameof(roundTrip), roundTrip,
                $"The round trip must be between 0 and {MaxDelay.TotalSeconds:0} s; {LinkUnits.FormatDuration(roundTrip)} is not.");
        if (jitter < TimeSpan.Zero || jitter > MaxDelay)
            throw new ArgumentOutOfRangeException(nameof(jitter), jitter,
                $"The jitter must be between 0 and {MaxDelay.TotalSeconds:0} s; {LinkUnits.FormatDuration(jitter)} is not.");
        if (bitsPerSecond is < MinBitsPerSecond or > MaxBitsPerSecond)
            throw new ArgumentOutOfRangeException(nameof(bitsPerSecond), bitsPerSecond,
                $"The bandwidth must be between {LinkUnits.FormatBandwidth(MinBitsPerSecond)} and " +
                $"{LinkUnits.FormatBandwidth(MaxBitsPerSecond)} (or none, for no cap); {bitsPerSecond} bit/s is not.");
        if (double.IsNaN(loss) || loss < 0 || loss > MaxLoss)
            throw new ArgumentOutOfRangeException(nameof(loss), loss,
                $"The loss must be between 0 % and {MaxLoss * 100:0} %; {(loss * 100).ToString(CultureInfo.InvariantCulture)} % is not.");
        return new LinkProfile(name, roundTrip, bitsPerSecond, loss, jitter);
    }

    public static readonly LinkProfile Loopback = Create("loopback", TimeSpan.Zero);

    /// <summary>The named profiles, each a typical figure of its kind (sources in docs/measuring.md).</summary>
    public static IReadOnlyList<LinkProfile> Named { get; } =
    [
        Loopback,
        Create("lan", TimeSpan.FromMilliseconds(1), 1_000_000_000),
        Create("broadband", TimeSpan.FromMilliseconds(20), 50_000_000),
        Create("4g", TimeSpan.FromMilliseconds(60), 20_000_000, 0.001, TimeSpan.FromMilliseconds(10)),
        Create("3g", TimeSpan.FromMilliseconds(250), 1_600_000, 0.015, TimeSpan.FromMilliseconds(50)),
        Create("satellite", TimeSpan.FromMilliseconds(600), 25_000_000, 0.001),
    ];

    /// <summary>The named profile called <paramref name="name"/> (case-insensitive), if there is one.</summary>
    public static bool TryGetNamed(string? name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out LinkProfile? profile)
    {
        profile = Named.FirstOrDefault(p => string.Equals(p.Name, name?.Trim(), StringComparison.OrdinalIgnoreCase));
        return profile is not null;
    }

    /// <summary>The named profile, or an <see cref="ArgumentException"/> listing the names there are.</summary>
    public static LinkProfile GetNamed(string name) => TryGetNamed(name, out var profile)
        ? profile
        : throw new ArgumentException(
            $"There is no link profile called '{name}'; the profiles are {string.Join(", ", Named.Select(p => p.Name))}.", nameof(name));

    /// <summary>
    /// A profile from a name and/or custom values as people type them ("120ms", "5mbit", "1%"): the named profile with the
    /// given values replacing its own, or a custom profile (no delay, cap nor loss unless given) when no name is given.
    /// </summary>
    public static LinkProfile Parse(string? name, string? roundTrip = null, string? bandwidth = null, string? loss = null,
        string? jitter = null)
    {
        var basis = string.IsNullOrWhiteSpace(name) ? Loopback : GetNamed(name);
        var custom = roundTrip is not null || bandwidth is not null || loss is not null || jitter is not null;
        return Create(
            custom ? (string.IsNullOrWhiteSpace(name) ? "custom" : basis.Name + " (custom)") : basis.Name,
            roundTrip is null ? basis.RoundTrip : LinkUnits.ParseDuration(roundTrip, "round trip"),
            bandwidth is null ? basis.BitsPerSecond : LinkUnits.ParseBandwidth(bandwidth),
            loss is null ? basis.Loss : LinkUnits.ParseLoss(loss),
            jitter is null ? basis.Jitter : LinkUnits.ParseDuration(jitter, "jitter"));
    }

    /// <summary>The figures for people: "60 ms round trip (+0-10 ms jitter), 20 Mbit/s, 0.1 % loss".</summary>
    public string Figures
    {
        get
        {
            if (IsLoopback) return "no delay, no bandwidth cap, no loss";
            var jitter = Jitter > TimeSpan.Zero ? $" (+0-{LinkUnits.FormatDuration(Jitter)} jitter)" : "";
            var cap = BitsPerSecond is { } bps ? LinkUnits.FormatBandwidth(bps) : "no bandwidth cap";
            return $"{LinkUnits.FormatDuration(RoundTrip)} round trip{jitter}, {cap}, {LinkUnits.FormatLoss(Loss)} loss";
        }
    }

    public override string ToString() => $"{Name}: {Figures}";
}
