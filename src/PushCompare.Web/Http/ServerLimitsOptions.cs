using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using PushCompare.Web.Messaging;
using PushCompare.Serving;

namespace PushCompare.Web.Http;

/// <summary>Section "ServerLimits": Kestrel limits chosen against slow and oversized clients (docs/protocol.md, "Limits").</summary>
public sealed class ServerLimitsOptions
{
    public const string Section = "ServerLimits";

    /// <summary>Time a client gets to send a request's headers (slowloris).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan RequestHeadersTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long an idle keep-alive connection stays open between requests.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Largest request body Kestrel reads at all; message bodies are further capped by Messaging:MaxMessageBytes (413).</summary>
    [Range(1024, 1L << 30)]
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>A request body (or a response being read) slower than this, after a 5 s grace period, is aborted.</summary>
    [Range(1, 1_000_000)]
    public double MinDataBytesPerSecond { get; set; } = 240;

    /// <summary>HTTP/2 streams one connection may have open at once (a page needs a handful; Kestrel refuses the rest).</summary>
    [Range(1, 10_000)]
    public int Http2MaxStreamsPerConnection { get; set; } = 100;

    /// <summary>HPACK dynamic table the server keeps per HTTP/2 connection, in bytes (RFC 7541 §4.2; 4096 is the protocol's default).</summary>
    [Range(0, 65_536)]
    public int Http2HeaderTableSize { get; set; } = 4096;

    /// <summary>Largest HTTP/2 frame payload the server accepts, in bytes (16,384 is the protocol's minimum and default).</summary>
    [Range(16_384, 16_777_215)]
    public int Http2MaxFrameSize { get; set; } = 16_384;

    /// <summary>Time a client gets to finish its TLS handshake; one that never does is dropped.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan TlsHandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);
}

[OptionsValidator]
public sealed partial class ServerLimitsOptionsValidator : IValidateOptions<ServerLimitsOptions>;

public static class ServerLimitsExtensions
{
    public static IServiceCollection AddServerLimits(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<ServerLimitsOptions, ServerLimitsOptionsValidator>(configuration.GetSection(ServerLimitsOptions.Section));
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<ServerLimitsOptions>>((kestrel, options) =>
        {
            var o = options.Value;
            kestrel.AddServerHeader = false; // "Server: Kestrel" serves no client; it is bytes on every poll
            kestrel.Limits.RequestHeadersTimeout = o.RequestHeadersTimeout;
            kestrel.Limits.KeepAliveTimeout = o.KeepAliveTimeout;
            kestrel.Limits.MaxRequestBodySize = o.MaxRequestBodyBytes;
            var grace = TimeSpan.FromSeconds(5);
            kestrel.Limits.MinRequestBodyDataRate = new MinDataRate(o.MinDataBytesPerSecond, grace);
            kestrel.Limits.MinResponseDataRate = new MinDataRate(o.MinDataBytesPerSecond, grace);
            // Set deliberately, not left to chance: a connection's streams and its HPACK table are what one client can make
            // the server hold. A client that opens and resets streams in a loop gets Kestrel's GOAWAY (rapid reset).
            kestrel.Limits.Http2.MaxStreamsPerConnection = o.Http2MaxStreamsPerConnection;
            kestrel.Limits.Http2.HeaderTableSize = o.Http2HeaderTableSize;
            kestrel.Limits.Http2.MaxFrameSize = o.Http2MaxFrameSize;
        });
        return services;
    }
}
