using System.Diagnostics;
using System.Net.Http.Json;
using Microsoft.Extensions.Options;
using PushCompare.Hosting;
using PushCompare.UnitTests.Infrastructure;
using PushCompare.Web.Security;

namespace PushCompare.UnitTests.Links;

/// <summary>The app on Kestrel, served again through an emulated 4G link on a port of its own (<c>Links:4g</c>).</summary>
public sealed class FourGApp : AppFactory
{
    public static readonly int LinkPort = FreePort.Next();

    public FourGApp() : base(("Links:4g", LinkPort.ToString(System.Globalization.CultureInfo.InvariantCulture)))
    {
        StartOnKestrel();
    }

    public Uri LinkAddress => new($"http://127.0.0.1:{LinkPort}/");
}

public sealed class ServedLinkTests(FourGApp app) : IClassFixture<FourGApp>
{
    [Fact]
    public async Task The_app_answers_over_its_link_a_handshake_and_a_round_trip_later_and_says_which_link_it_came_over()
    {
        using var overLink = new HttpClient { BaseAddress = app.LinkAddress };
        var start = Stopwatch.GetTimestamp();
        var answer = await overLink.GetFromJsonAsync<OriginsAnswer>("/api/origins");
        var took = Stopwatch.GetElapsedTime(start);

        Assert.Equal("4g", answer!.Link?.Name);
        Assert.Equal(60, answer.Link!.RoundTripMs);
        Assert.True(took >= TimeSpan.FromMilliseconds(120), $"the first request over a 60 ms link took {took.TotalMilliseconds} ms");
        var listed = Assert.Single(answer.Links);
        Assert.Equal($"http://localhost:{FourGApp.LinkPort}", listed.Origin);
        Assert.Contains("60 ms round trip", listed.Description);
        // The link's port is one of the app's own origins, so a page on either may call the other.
        Assert.Contains($"http://localhost:{FourGApp.LinkPort}", answer.Origins);
    }

    [Fact]
    public async Task A_request_straight_to_the_app_came_over_no_link()
    {
        using var direct = new HttpClient { BaseAddress = app.KestrelAddress };

        var answer = await direct.GetFromJsonAsync<OriginsAnswer>("/api/origins");

        Assert.Null(answer!.Link);
        Assert.Equal("4g", Assert.Single(answer.Links).Name);
    }
}

public sealed class LinkSettingsTests
{
    [Theory]
    [InlineData("5g", "5083", "Links:5g: there is no link profile called '5g'; the profiles are lan, broadband, 4g, 3g, satellite.")]
    [InlineData("loopback", "5083", "Links:loopback: the loopback profile changes nothing")]
    [InlineData("4g", "50x3", "Links:4g: '50x3' is not a port: write a number from 1 to 65535.")]
    [InlineData("4g", "70000", "Links:4g: '70000' is not a port")]
    [InlineData("4g", "", "Links:4g: '' is not a port")]
    public void A_bad_link_setting_fails_start_up_with_a_sentence(string profile, string port, string expected)
    {
        using var app = new StartupFailureFactory(($"Links:{profile}", port));

        var error = Assert.Throws<OptionsValidationException>(() => app.Server);

        Assert.Contains(expected, Assert.Single(error.Failures));
    }

    [Fact]
    public void Two_links_on_one_port_fail_start_up()
    {
        using var app = new StartupFailureFactory(("Links:4g", "5083"), ("Links:3g", "5083"));

        var error = Assert.Throws<OptionsValidationException>(() => app.Server);

        Assert.Contains("both name port 5083: each link needs a port of its own.", Assert.Single(error.Failures));
    }

    [Fact]
    public void A_link_without_a_plain_HTTP_endpoint_to_relay_to_fails_start_up()
    {
        // The in-memory test server binds no address at all.
        using var app = new StartupFailureFactory(("Links:4g", FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture)));

        var error = Assert.Throws<InvalidOperationException>(() => app.Server);

        Assert.Contains("Links needs the app's plain HTTP endpoint to relay to, and the app listens on none", error.Message);
    }
}
