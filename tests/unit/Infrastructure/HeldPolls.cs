using Microsoft.Extensions.DependencyInjection;
using PushCompare.Web.Polling;
using PushCompare.Web.Sessions;

namespace PushCompare.UnitTests.Infrastructure;

/// <summary>
/// Evidence that the server is holding a GET for a session. Nothing on the wire shows it, so this reads the
/// session's own state: IsExpired(TimeSpan.Zero) is false only while a poll is held (any idle time counts otherwise).
/// </summary>
public static class HeldPolls
{
    public static Task WaitUntilHeldAsync(this AppFactory app, string id)
    {
        var store = app.Services.GetRequiredService<SessionStore>();
        return Eventually.AssertAsync(() => store.Find(id).Session is { } session && !session.IsExpired(TimeSpan.Zero),
            $"the server holds a poll for session {id}");
    }
}
