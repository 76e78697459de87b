using System.Net;
using Microsoft.Extensions.Hosting;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace PushCompare.UnitTests.Infrastructure;

/// <summary>
/// Hosts the real app in memory with configuration overrides (the same keys as appsettings.json), so each
/// feature's tests run against the limits they need, e.g. a 200 ms poll timeout instead of 25 s.
/// </summary>
public class AppFactory(params (string Key, string Value)[] settings) : WebApplicationFactory<Program>
{
    public IReadOnlyList<(string Key, string Value)> Settings { get; } = settings;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        // Tests open many sessions from one address; only the rate-limit tests restore a small burst.
        builder.UseSetting("Security:ConnectBurst", "1000000");
        // Disposing a host drains its open sessions first, for up to 5 s by default when they hold undelivered replies, and
        // no client is left to collect them; the tests of the drain set their own.
        builder.UseSetting("Sessions:ShutdownDrainTimeout", "00:00:00");
        foreach (var (key, value) in Settings) builder.UseSetting(key, value);
        // Expected failures (1009 closes, 4xx) would otherwise flood the test output.
        builder.ConfigureLogging(logging => logging.ClearProviders());
    }

    /// <summary>The app's host, so shutdown tests can stop it the way SIGTERM does (IHost.StopAsync).</summary>
    public IHost? AppHost { get; private set; }

    protected override IHost CreateHost(IHostBuilder builder)
    {
        AppHost = base.CreateHost(builder);
        return AppHost;
    }

    /// <summary>
    /// Serves the app on real Kestrel at a free loopback port, for tests that need actual TCP connections.
    /// Listen(port 0) rather than UseKestrel(0): the latter rewrites the server addresses while the app's own start-up
    /// may already be starting the server ("Addresses cannot be modified after the server has started").
    /// </summary>
    protected void StartOnKestrel()
    {
        UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        StartServer();
    }

    /// <summary>The address the real (Kestrel) server bound; only after <see cref="StartOnKestrel"/>.</summary>
    public Uri KestrelAddress => new(Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()
        .Replace("localhost", "127.0.0.1", StringComparison.Ordinal));
}
