using Microsoft.AspNetCore.Http.Features;

namespace PushCompare.Metering;

/// <summary>
/// Learns the exact moment of an HTTP upgrade: frame scanning starts right after the 101 is written, so no HTTP byte
/// is ever read as a frame header. The transport claims the request (and its session) before it upgrades, so the
/// handshake counts to it.
/// </summary>
internal sealed class MeteredUpgradeFeature(IHttpUpgradeFeature inner, ConnectionMeter connection, RequestMeter request)
    : IHttpUpgradeFeature
{
    public bool IsUpgradableRequest => inner.IsUpgradableRequest;

    public async Task<Stream> UpgradeAsync()
    {
        var stream = await inner.UpgradeAsync();
        connection.Upgraded(request);
        return stream;
    }
}
