using System.IO.Compression;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.ResponseCompression;
using Microsoft.Extensions.Options;
using PushCompare.Web.Messaging;
using PushCompare.Serving;

namespace PushCompare.Web.Http;

/// <summary>
/// Section "HttpCompression": Brotli/gzip for the message-carrying responses of polling and SSE (docs/protocol.md,
/// "Compression"). Off by default: a compressed body that holds a secret beside text an attacker chose leaks the
/// secret through its size (BREACH).
/// </summary>
public sealed class HttpCompressionOptions
{
    public const string Section = "HttpCompression";

    /// <summary>Compress poll answers and SSE streams for clients that send <c>Accept-Encoding</c>.</summary>
    public bool Enabled { get; set; }

    /// <summary>
    /// Compress over HTTPS too (the framework's <see cref="ResponseCompressionOptions.EnableForHttps"/>). Without it an
    /// HTTPS answer stays identity even when <see cref="Enabled"/>: BREACH needs TLS to matter (a plaintext body is
    /// readable anyway), so this is the setting that opens it.
    /// </summary>
    public bool EnableForHttps { get; set; }
}

/// <summary>Refuses a setting that would not do what it says.</summary>
public sealed class HttpCompressionOptionsValidator : IValidateOptions<HttpCompressionOptions>
{
    public ValidateOptionsResult Validate(string? name, HttpCompressionOptions options) =>
        options.EnableForHttps && !options.Enabled
            ? ValidateOptionsResult.Fail($"{nameof(HttpCompressionOptions)}.{nameof(HttpCompressionOptions.EnableForHttps)} is true while " +
                $"{nameof(HttpCompressionOptions)}.{nameof(HttpCompressionOptions.Enabled)} is false, so nothing would be compressed: " +
                "set HttpCompression:Enabled=true as well, or EnableForHttps=false.")
            : ValidateOptionsResult.Success;
}

public static class HttpCompressionExtensions
{
    /// <summary>Only message bodies: the event stream and the poll batch (JSON). Problems (application/problem+json) stay identity.</summary>
    private static readonly string[] CompressedTypes = ["text/event-stream", "application/json"];

    public static IServiceCollection AddHttpCompression(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<HttpCompressionOptions, HttpCompressionOptionsValidator>(configuration.GetSection(HttpCompressionOptions.Section));
        services.AddResponseCompression();
        services.AddOptions<ResponseCompressionOptions>().Configure<IOptions<HttpCompressionOptions>>((compression, options) =>
        {
            compression.EnableForHttps = options.Value.EnableForHttps;
            compression.MimeTypes = CompressedTypes;
            compression.Providers.Add<BrotliCompressionProvider>(); // preferred when a client accepts both (the order breaks ties)
            compression.Providers.Add<GzipCompressionProvider>();
        });
        // Fastest for both: a per-event flush ends every deflate/Brotli block anyway, so higher levels buy little per message.
        services.Configure<BrotliCompressionProviderOptions>(o => o.Level = CompressionLevel.Fastest);
        services.Configure<GzipCompressionProviderOptions>(o => o.Level = CompressionLevel.Fastest);
        return services;
    }

    /// <summary>
    /// Marks an endpoint whose answers are message content only (the poll, the event stream), compressed when
    /// HttpCompression:Enabled. Never an answer that carries the session id (a credential) or figures.
    /// </summary>
    public static TBuilder WithHttpCompression<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(HttpCompressionMetadata.Instance);

    /// <summary>
    /// Compresses the answers of endpoints that declare <see cref="WithHttpCompression{TBuilder}"/>, when
    /// HttpCompression:Enabled. Register it after the metering, which counts below HTTP and so sees the compressed bytes.
    /// </summary>
    public static WebApplication UseHttpCompression(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<HttpCompressionOptions>>(); // read per request: validated at start
        app.UseWhen(context => options.Value.Enabled && context.GetEndpoint()?.Metadata.GetMetadata<HttpCompressionMetadata>() is not null,
            branch =>
            {
                branch.UseResponseCompression();
                branch.Use(AllowEventStreamCompression);
            });
        return app;
    }

    // The framework's SSE result marks its stream "Content-Encoding: identity" (to keep IIS's dynamic compression off it),
    // which the compression middleware honours. Here compression was asked for and flushes per event, so that mark goes.
    private static Task AllowEventStreamCompression(HttpContext context, RequestDelegate next)
    {
        var body = context.Features.GetRequiredFeature<IHttpResponseBodyFeature>();
        context.Features.Set<IHttpResponseBodyFeature>(new EventStreamBody(body, context.Response));
        return next(context);
    }

    /// <summary>
    /// The compressing body, unchanged, except that an event stream's "identity" mark is dropped before the compressor
    /// decides (the SSE result sets its headers, then disables buffering, then writes). RFC 9110 §8.4 keeps "identity"
    /// out of Content-Encoding anyway.
    /// </summary>
    private sealed class EventStreamBody(IHttpResponseBodyFeature inner, HttpResponse response) : IHttpResponseBodyFeature
    {
        public Stream Stream => inner.Stream;

        public PipeWriter Writer => inner.Writer;

        public void DisableBuffering()
        {
            DropIdentityMark();
            inner.DisableBuffering();
        }

        public Task StartAsync(CancellationToken cancellationToken = default)
        {
            DropIdentityMark();
            return inner.StartAsync(cancellationToken);
        }

        public Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default) =>
            inner.SendFileAsync(path, offset, count, cancellationToken);

        public Task CompleteAsync() => inner.CompleteAsync();

        private void DropIdentityMark()
        {
            if (!response.HasStarted && response.Headers.ContentEncoding == "identity"
                && response.ContentType?.StartsWith("text/event-stream", StringComparison.OrdinalIgnoreCase) == true)
            {
                response.Headers.Remove(Microsoft.Net.Http.Headers.HeaderNames.ContentEncoding);
            }
        }
    }
}

/// <summary>Endpoint metadata: see <see cref="HttpCompressionExtensions.WithHttpCompression{TBuilder}"/>.</summary>
public sealed class HttpCompressionMetadata
{
    public static readonly HttpCompressionMetadata Instance = new();

    private HttpCompressionMetadata()
    {
    }
}
