using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using PushCompare.Web.Messaging;

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
        });
        return services;
    }
}
