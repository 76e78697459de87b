using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using PushCompare.Web.Links;

namespace PushCompare.Web.Security;

/// <summary>
/// The app's own origins, derived from the addresses Kestrel actually bound (<see cref="IServerAddressesFeature"/>,
/// so port 0 in tests is the real port): by default <c>http://localhost:5080</c> and <c>https://localhost:5081</c>,
/// each under every loopback name a browser may use for it. A page served on one of them may call the others: that
/// is how the comparison run measures HTTP/1.1 and HTTP/2 + TLS from one page. The ports of its emulated links
/// (<c>Links</c>) are its own origins too: the same app, farther away.
/// </summary>
public sealed class AppOrigins(IServer server, ServedLinks? links = null)
{
    private IReadOnlySet<string>? _own;

    /// <summary>Every own origin (<c>scheme://host[:port]</c>, lower case, default ports left out); empty before the server has bound.</summary>
    public IReadOnlySet<string> Own => _own ?? Bind();

    public bool Contains(string origin) => Own.Contains(origin);

    // Read once the server has bound (the first request comes after that); an in-memory TestServer binds nothing.
    private IReadOnlySet<string> Bind()
    {
        var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses;
        if (addresses is null || addresses.Count == 0) return FrozenEmpty;
        return _own = FromAddresses(addresses.Concat(links?.Addresses ?? []));
    }

    private static readonly IReadOnlySet<string> FrozenEmpty = new HashSet<string>();

    /// <summary>
    /// The origins a browser can reach the server at, for each bound address. Cases: <c>localhost</c> is also
    /// reached as 127.0.0.1 and [::1] (Kestrel binds both); 127.0.0.1 and [::1] also as <c>localhost</c>, which resolves
    /// to them; a wildcard (0.0.0.0, [::], *, +) as every loopback name — other names it answers to are not known
    /// here and stay same-origin only (add them to <c>Security:AllowedOrigins</c>); any other host as itself.
    /// </summary>
    public static IReadOnlySet<string> FromAddresses(IEnumerable<string> addresses)
    {
        var origins = new SortedSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var address in addresses)
        {
            // Kestrel reports wildcards as "http://*:5080" or "http://+:5080", which Uri does not parse.
            var parsable = address.Replace("://*:", "://0.0.0.0:", StringComparison.Ordinal).Replace("://+:", "://0.0.0.0:", StringComparison.Ordinal);
            if (!Uri.TryCreate(parsable, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")) continue;
            foreach (var host in HostsFor(uri.Host))
                origins.Add(uri.IsDefaultPort ? $"{uri.Scheme}://{host}" : $"{uri.Scheme}://{host}:{uri.Port}");
        }
        return origins;
    }

    private static readonly string[] Loopback = ["localhost", "127.0.0.1", "[::1]"];

    private static IEnumerable<string> HostsFor(string host)
    {
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)) return Loopback;
        if (!IPAddress.TryParse(host.Trim('[', ']'), out var ip)) return [host.ToLowerInvariant()];
        if (ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any)) return Loopback;
        var literal = ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{ip}]" : ip.ToString();
        return IPAddress.IsLoopback(ip) ? [literal, "localhost"] : [literal];
    }
}
