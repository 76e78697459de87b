using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;
using PushCompare.Hosting.Links;

namespace PushCompare.Web.Links;

/// <summary>
/// The app served again through emulated links (<see cref="LinksOptions"/>): once Kestrel has bound, each configured
/// port gets a <see cref="LinkEmulator"/> in front of the app's plain HTTP endpoint. The app's metering sits behind the
/// emulator, which relays bytes unchanged, so every figure stays exact; only the times are the link's.
/// </summary>
public sealed partial class ServedLinks(IOptions<LinksOptions> options, IServer server, ILogger<ServedLinks> logger)
    : IHostedLifecycleService, IAsyncDisposable
{
    private readonly List<(LinkProfile Profile, int Port, LinkEmulator Emulator)> _running = [];

    /// <summary>The configured links, whether or not they run yet.</summary>
    public IReadOnlyList<(LinkProfile Profile, int Port)> Configured { get; } = [.. options.Value.Links];

    /// <summary>The addresses the links serve the app at, for the app's own origins.</summary>
    public IEnumerable<string> Addresses => Configured.Select(l => Address(l.Port));

    private static string Address(int port) => $"http://localhost:{port}";

    /// <summary>The profile of the link a connection came through (its remote end is the link's side), or null.</summary>
    public LinkProfile? LinkOf(ConnectionInfo connection)
    {
        if (connection.RemoteIpAddress is not { } address) return null;
        var remote = new IPEndPoint(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address, connection.RemotePort);
        lock (_running) return _running.FirstOrDefault(l => l.Emulator.Carries(remote)).Profile;
    }

    public Task StartedAsync(CancellationToken cancellationToken)
    {
        if (Configured.Count == 0) return Task.CompletedTask;
        var upstream = PlainHttpEndPoint(server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [])
            ?? throw new InvalidOperationException(
                $"{LinksOptions.Section} needs the app's plain HTTP endpoint to relay to, and the app listens on none: add an http:// URL, or remove the {LinksOptions.Section} entries.");
        foreach (var (profile, port) in Configured)
        {
            LinkEmulator emulator;
            try
            {
                emulator = LinkEmulator.Start(profile, upstream, ListenOn(port));
            }
            catch (SocketException e)
            {
                throw new InvalidOperationException(
                    $"{LinksOptions.Section}:{profile.Name}: cannot listen on port {port} ({e.Message}); choose a free port or remove the entry.", e);
            }
            lock (_running) _running.Add((profile, port, emulator));
            Log.Serving(logger, profile.Name, Address(port), profile.ToString());
        }
        return Task.CompletedTask;
    }

    // Both loopback addresses, as "localhost" is either; a machine without IPv6 gets the IPv4 one only.
    private static IReadOnlyList<IPEndPoint> ListenOn(int port) => Socket.OSSupportsIPv6
        ? [new IPEndPoint(IPAddress.Loopback, port), new IPEndPoint(IPAddress.IPv6Loopback, port)]
        : [new IPEndPoint(IPAddress.Loopback, port)];

    /// <summary>Where the links relay to: the first plain HTTP address Kestrel bound, reached over loopback.</summary>
    internal static IPEndPoint? PlainHttpEndPoint(IEnumerable<string> addresses)
    {
        foreach (var address in addresses)
        {
            var parsable = address.Replace("://*:", "://0.0.0.0:", StringComparison.Ordinal).Replace("://+:", "://0.0.0.0:", StringComparison.Ordinal);
            if (!Uri.TryCreate(parsable, UriKind.Absolute, out var uri) || uri.Scheme != "http") continue;
            if (!IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip)) ip = IPAddress.Loopback; // localhost
            if (ip.Equals(IPAddress.Any)) ip = IPAddress.Loopback;
            if (ip.Equals(IPAddress.IPv6Any)) ip = IPAddress.IPv6Loopback;
            return new IPEndPoint(ip, uri.Port);
        }
        return null;
    }

    // After the server has stopped: connections over a link drain like any other before the link goes.
    public async Task StoppedAsync(CancellationToken cancellationToken) => await DisposeAsync();

    public async ValueTask DisposeAsync()
    {
        List<LinkEmulator> emulators;
        lock (_running)
        {
            emulators = [.. _running.Select(l => l.Emulator)];
            _running.Clear();
        }
        foreach (var emulator in emulators) await emulator.DisposeAsync();
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static partial class Log
    {
        [LoggerMessage(EventId = 1900, Level = LogLevel.Information, Message = "The app is served over the {Link} link at {Address} ({Profile})")]
        public static partial void Serving(ILogger logger, string link, string address, string profile);
    }
}

public static class LinksExtensions
{
    /// <summary>The <c>Links</c> ports (off when the section is empty), validated at start-up.</summary>
    public static IServiceCollection AddLinks(this IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection(LinksOptions.Section);
        services.AddOptions<LinksOptions>()
            .Configure(o =>
            {
                foreach (var entry in section.GetChildren()) o.Ports[entry.Key] = entry.Value;
            })
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<LinksOptions>, LinksOptionsValidator>();
        services.AddSingleton<ServedLinks>();
        services.AddHostedService(sp => sp.GetRequiredService<ServedLinks>());
        return services;
    }
}
