namespace PushCompare.Web.Http;

public static class NoStoreExtensions
{
    /// <summary>
    /// Answers under these paths are live data (polls, stats): no browser or proxy may cache or replay them. A
    /// middleware, not an endpoint filter, so routing's own answers there (404, 405) carry the header too.
    /// </summary>
    public static WebApplication UseNoStore(this WebApplication app, params PathString[] prefixes)
    {
        app.Use((context, next) =>
        {
            foreach (var prefix in prefixes)
            {
                if (!context.Request.Path.StartsWithSegments(prefix)) continue;
                context.Response.Headers.CacheControl = "no-store";
                break;
            }
            return next(context);
        });
        return app;
    }
}
