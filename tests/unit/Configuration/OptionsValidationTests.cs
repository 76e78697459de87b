using PushCompare.Web.Sessions;
using Microsoft.Extensions.Options;
using PushCompare.UnitTests.Infrastructure;

namespace PushCompare.UnitTests.Configuration;

/// <summary>A bad appsettings.json value stops the app at start-up, naming the setting, instead of misbehaving later.</summary>
public sealed class OptionsValidationTests
{
    [Theory]
    [InlineData("LongPolling:PollTimeout", "00:00:00", "LongPollingOptions", "PollTimeout")]
    [InlineData("Sessions:IdleTimeout", "00:00:00", "MessageSessionOptions", "IdleTimeout")]
    [InlineData("Sessions:MaxBacklogMessages", "0", "MessageSessionOptions", "MaxBacklogMessages")]
    [InlineData("Sessions:MaxSessions", "-1", "MessageSessionOptions", "MaxSessions")]
    [InlineData("ServerSentEvents:HeartbeatInterval", "00:00:00", "ServerSentEventsOptions", "HeartbeatInterval")]
    [InlineData("Messaging:MaxMessageBytes", "0", "MessagingOptions", "MaxMessageBytes")]
    [InlineData("WebSockets:KeepAliveInterval", "00:00:00", "WebSocketEchoOptions", "KeepAliveInterval")]
    [InlineData("WebSockets:SendTimeout", "00:00:00", "WebSocketEchoOptions", "SendTimeout")]
    [InlineData("Health:DrainGrace", "00:06:00", "HealthOptions", "DrainGrace")]
    [InlineData("WebSockets:Compression:ServerMaxWindowBits", "8", "WebSocketEchoOptions", "Compression.ServerMaxWindowBits")]
    [InlineData("WebSockets:Compression:ServerMaxWindowBits", "16", "WebSocketEchoOptions", "Compression.ServerMaxWindowBits")]
    [InlineData("HttpCompression:EnableForHttps", "true", "HttpCompressionOptions", "EnableForHttps")]
    public void Invalid_setting_fails_start_up_naming_the_field(string key, string value, string optionsType, string field)
    {
        using var app = new StartupFailureFactory((key, value));

        var error = Assert.Throws<OptionsValidationException>(() => app.Server);

        Assert.Equal(optionsType, error.OptionsType.Name);
        Assert.Contains($"{optionsType}.{field}", Assert.Single(error.Failures));
    }

    [Fact]
    public void Smallest_valid_settings_start()
    {
        using var app = new StartupFailureFactory(("LongPolling:PollTimeout", "00:00:00.010"), ("Messaging:MaxMessageBytes", "1"));

        Assert.NotNull(app.Server);
    }
}
