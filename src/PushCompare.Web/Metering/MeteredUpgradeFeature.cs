using Microsoft.AspNetCore.Http.Features;

namespace PushCompare.Web.Metering;

/// <summary>
/// Learns the exact moment of a WebSocket upgrade: the session is bound before the 101 is written (so the handshake
/// counts to it) and frame scanning starts right after it, so no HTTP byte is ever read as a frame header.
/// </summary>
internal sealed class MeteredUpgradeFeature(IHttpUpgradeFeature inner, ConnectionMeter connection, RequestMeter request, Func<SessionMeter?> session)
    : IHttpUpgradeFeature
{
    public bool IsUpgradableRequest => inner.IsUpgradableRequest;

    public async Task<Stream> UpgradeAsync()
    {
        if (session() is { } s) request.BindSession(s);
        var stream = await inner.UpgradeAsync();
        connection.Upgraded(request);
        return stream;
    }
}
