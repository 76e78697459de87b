namespace PushCompare.Web.Http;

/// <summary>Endpoint metadata: a response header every answer of this endpoint carries (<see cref="DeclaredResponseHeaderExtensions"/>).</summary>
public sealed record DeclaredResponseHeader(string Name, string Value);

public static class DeclaredResponseHeaderExtensions
{
    private static readonly DeclaredResponseHeader NoStore = new("Cache-Control", "no-store");
    private static readonly DeclaredResponseHeader NoProxyBuffering = new("X-Accel-Buffering", "no");

    /// <summary>No browser or proxy may cache or replay these endpoints' answers, whatever their status: live data (polls, streams, stats).</summary>
    public static TBuilder WithNoStore<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(NoStore);

    /// <summary>
    /// <c>X-Accel-Buffering: no</c>: nginx passes these answers on as they are written (an SSE event, a held poll's
    /// reply) even where its configuration buffers responses (nginx's default). Other proxies have their own setting
    /// and ignore this header (docs/proxies.md).
    /// </summary>
    public static TBuilder WithoutProxyBuffering<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(NoProxyBuffering);

    /// <summary>
    /// Sets the headers an endpoint declares on every answer of it, before the endpoint and the guards run, so their
    /// refusals carry them too. After routing (which <see cref="WebApplication"/> runs first), before the endpoints.
    /// </summary>
    public static WebApplication UseDeclaredResponseHeaders(this WebApplication app)
    {
        app.Use(static (context, next) =>
        {
            if (context.GetEndpoint()?.Metadata.GetOrderedMetadata<DeclaredResponseHeader>() is { Count: > 0 } headers)
            {
                foreach (var header in headers) context.Response.Headers[header.Name] = header.Value;
            }
            return next(context);
        });
        return app;
    }
}
