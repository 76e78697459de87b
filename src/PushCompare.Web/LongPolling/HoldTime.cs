using System.Globalization;
using PushCompare.Web.Http;

namespace PushCompare.Web.LongPolling;

/// <summary>
/// The <c>wait</c> query parameter: how long a poll is held, 0 (answer at once: short polling) to the poll timeout.
/// <c>POST /poll?wait=W</c> sets a session's default; <c>GET /poll/{id}?wait=W</c> overrides it for one poll.
/// </summary>
public static class HoldTime
{
    public const string Query = "wait";

    /// <summary>Parses a whole number of milliseconds (digits only, as the endpoints accept it); no range check.</summary>
    public static bool TryParseMs(string? value, out int milliseconds) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out milliseconds);

    /// <summary>The hold time <paramref name="wait"/> asks for (<paramref name="fallback"/> when absent), or the 400 that explains a bad value.</summary>
    internal static IResult? TryParse(string? wait, TimeSpan fallback, TimeSpan max, out TimeSpan hold)
    {
        hold = fallback;
        if (wait is null) return null;
        if (!TryParseMs(wait, out int ms) || ms > max.TotalMilliseconds)
        {
            return Problems.Create(StatusCodes.Status400BadRequest, "Invalid wait",
                $"wait='{wait}' is not a hold time: give milliseconds from 0 (answer at once) to {max.TotalMilliseconds:0}.");
        }
        hold = TimeSpan.FromMilliseconds(ms);
        return null;
    }
}
