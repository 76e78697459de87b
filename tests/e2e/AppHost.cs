using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace PushCompare.E2ETests;

/// <summary>The real app on Kestrel at a free loopback port, so a real browser can reach it.</summary>
public sealed class AppHost : WebApplicationFactory<Program>
{
    private readonly (string Key, string Value)[] _settings;

    /// <param name="settings">Configuration overrides, as in appsettings.json (e.g. a compression switch).</param>
    public AppHost(params (string Key, string Value)[] settings)
    {
        _settings = settings;
        // Listen(port 0) rather than UseKestrel(0): the latter rewrites the server addresses while the app's own start-up
        // may already be starting the server ("Addresses cannot be modified after the server has started", seen at load 60).
        UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        // No server pings during a test: CDP does not report control frames, so a ping and its pong would be the only
        // WebSocket bytes the byte-equality tests could not see.
        builder.UseSetting("WebSockets:KeepAliveInterval", "01:00:00");
        // Nor an idle SSE heartbeat (the longest the server allows): the stream's bytes while it is open are compared
        // with what CDP reported so far, and a heartbeat written in between would make that a race.
        builder.UseSetting("ServerSentEvents:HeartbeatInterval", "01:00:00");
        foreach (var (key, value) in _settings) builder.UseSetting(key, value);
    }

    /// <summary>Starts Kestrel and answers its address as http://127.0.0.1:port/ (loopback only, never a name lookup).</summary>
    public Uri Start()
    {
        StartServer();
        var addresses = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        var bound = new Uri(addresses.First());
        return new UriBuilder("http", "127.0.0.1", bound.Port, "/").Uri;
    }
}
