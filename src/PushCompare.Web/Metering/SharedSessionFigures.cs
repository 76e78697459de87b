using PushCompare.Metering;
namespace PushCompare.Web.Metering;

/// <summary>
/// One session's figures summed over every instance that served it, for <c>/api/stats?session=KEY</c> when sessions
/// are shared between instances (docs/measuring.md, "Sessions on several instances"). Registered only then.
/// </summary>
internal interface ISharedSessionFigures
{
    /// <summary>The summed figures of <paramref name="key"/>, or null when no instance recorded any.</summary>
    Task<SessionStats?> SumAsync(string key);
}
