using System.Globalization;

namespace PushCompare.Web.Http;

/// <summary>
/// The one parser of whole-number query values (<c>push</c>, <c>wait</c>, <c>cursor</c>, <c>seq</c>): ASCII digits
/// only — no sign, spaces, separators or exponent — in the invariant culture. Ranges are the caller's to check.
/// </summary>
public static class QueryNumber
{
    public static bool TryParse(string? value, out long number) =>
        long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out number);

    public static bool TryParse(string? value, out int number) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out number);
}
