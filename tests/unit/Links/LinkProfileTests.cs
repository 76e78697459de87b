using PushCompare.Hosting.Links;

namespace PushCompare.UnitTests.Links;

public class LinkProfileTests
{
    [Fact]
    public void Custom_values_are_read_as_people_write_them()
    {
        var profile = LinkProfile.Parse(null, roundTrip: "120ms", bandwidth: "5mbit", loss: "1%", jitter: "0.01s");

        Assert.Equal("custom", profile.Name);
        Assert.Equal(TimeSpan.FromMilliseconds(120), profile.RoundTrip);
        Assert.Equal(TimeSpan.FromMilliseconds(60), profile.OneWay);
        Assert.Equal(5_000_000, profile.BitsPerSecond);
        Assert.Equal(0.01, profile.Loss, 10);
        Assert.Equal(TimeSpan.FromMilliseconds(10), profile.Jitter);
    }

    [Fact]
    public void A_named_profile_takes_custom_values_in_place_of_its_own()
    {
        var profile = LinkProfile.Parse("4G", loss: "2%");

        Assert.Equal("4g (custom)", profile.Name);
        Assert.Equal(TimeSpan.FromMilliseconds(60), profile.RoundTrip);
        Assert.Equal(20_000_000, profile.BitsPerSecond);
        Assert.Equal(0.02, profile.Loss, 10);
    }

    [Theory]
    [InlineData("1.6 Mbit/s", 1_600_000L)]
    [InlineData("50mbps", 50_000_000L)]
    [InlineData("800kbit", 800_000L)]
    [InlineData("1gbit", 1_000_000_000L)]
    [InlineData("9600", 9_600L)]
    [InlineData("none", null)]
    public void Bandwidths_in_the_usual_units(string text, long? expected)
    {
        Assert.True(LinkUnits.TryParseBandwidth(text, out var bps));
        Assert.Equal(expected, bps);
    }

    [Fact]
    public void Only_loopback_changes_nothing()
    {
        Assert.True(LinkProfile.Loopback.IsLoopback);
        Assert.All(LinkProfile.Named.Where(p => p.Name != "loopback"), p => Assert.False(p.IsLoopback));
        Assert.Equal(["loopback", "lan", "broadband", "4g", "3g", "satellite"], LinkProfile.Named.Select(p => p.Name));
    }

    [Theory]
    [InlineData("-5ms", null, null, null, "round trip must be between 0 and 10 s; -5 ms is not")]
    [InlineData("20s", null, null, null, "round trip must be between 0 and 10 s; 20000 ms is not")]
    [InlineData("fast", null, null, null, "round trip 'fast' is not a duration")]
    [InlineData("5 parsecs", null, null, null, "is not a duration")]
    [InlineData(null, "0", null, null, "bandwidth must be between 8 kbit/s and 100 Gbit/s")]
    [InlineData(null, "-1mbit", null, null, "bandwidth must be between")]
    [InlineData(null, "5MB", null, null, "'5MB' is not a bandwidth")]
    [InlineData(null, null, "150%", null, "loss must be between 0 % and 50 %; 150 % is not")]
    [InlineData(null, null, "-1%", null, "loss must be between 0 % and 50 %")]
    [InlineData(null, null, "NaN", null, "'NaN' is not a rate")]
    [InlineData(null, null, "1 in 10", null, "'1 in 10' is not a rate")]
    [InlineData(null, null, null, "-1ms", "jitter must be between 0 and 10 s")]
    public void Impossible_values_are_refused_with_what_is_accepted(string? rtt, string? bandwidth, string? loss, string? jitter,
        string expected)
    {
        var error = Assert.ThrowsAny<ArgumentException>(() => LinkProfile.Parse(null, rtt, bandwidth, loss, jitter));

        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void An_unknown_profile_name_lists_the_names_there_are()
    {
        var error = Assert.Throws<ArgumentException>(() => LinkProfile.Parse("5g"));

        Assert.Contains("no link profile called '5g'; the profiles are loopback, lan, broadband, 4g, 3g, satellite", error.Message);
    }

    [Fact]
    public void Create_refuses_a_profile_without_a_name() =>
        Assert.Contains("needs a name", Assert.Throws<ArgumentException>(() => LinkProfile.Create(" ", TimeSpan.Zero)).Message);
}
