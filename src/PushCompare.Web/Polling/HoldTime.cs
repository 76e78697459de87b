using System.Diagnostics.CodeAnalysis;
using PushCompare.Web.Http;

namespace PushCompare.Web.Polling;

/// <summary>
/// The <c>wait</c> query parameter: how long a poll is held, 0 (answer at once: short polling) to the poll timeout.
/// <c>POST /poll?wait=W</c> sets a session's default; <c>GET /poll/{id}?wait=W</c> overrides it for one poll.
/// </summary>
public static class HoldTime
{
    /// <summary>The hold time <paramref name="wait"/> asks for (<paramref name="fallback"/> when absent); false with the 400 that explains a bad value.</summary>
    internal static bool TryParse(string? wait, TimeSpan fallback, TimeSpan max, out TimeSpan hold, [NotNullWhen(false)] out IResult? problem)
    {
        hold = fallback;
        problem = null;
        if (wait is null) return true;
        if (!QueryNumber.TryParse(wait, out int ms) || ms > max.TotalMilliseconds)
        {
            problem = Problems.Create(StatusCodes.Status400BadRequest, "Invalid wait",
                $"wait='{wait}' is not a hold time: give milliseconds from 0 (answer at once) to {max.TotalMilliseconds:0}.");
            return false;
        }
        hold = TimeSpan.FromMilliseconds(ms);
        return true;
    }
}
