namespace PushCompare.Web.Http;

/// <summary>Endpoint metadata: this endpoint's answers are live data (polls, streams, stats), never to be cached.</summary>
public sealed class NoStoreMetadata
{
    public static readonly NoStoreMetadata Instance = new();

    private NoStoreMetadata()
    {
    }
}

public static class NoStoreExtensions
{
    /// <summary>No browser or proxy may cache or replay these endpoints' answers, whatever their status.</summary>
    public static TBuilder WithNoStore<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(NoStoreMetadata.Instance);

    /// <summary>
    /// <c>Cache-Control: no-store</c> on every answer of an endpoint that declares <see cref="WithNoStore{TBuilder}"/>,
    /// set before the endpoint and the guards run, so their refusals carry it too. After routing (which
    /// <see cref="WebApplication"/> runs first), before the endpoints.
    /// </summary>
    public static WebApplication UseNoStore(this WebApplication app)
    {
        app.Use(static (context, next) =>
        {
            if (context.GetEndpoint()?.Metadata.GetMetadata<NoStoreMetadata>() is not null) context.Response.Headers.CacheControl = "no-store";
            return next(context);
        });
        return app;
    }
}
