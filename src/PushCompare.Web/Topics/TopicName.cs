using System.Text.RegularExpressions;
using PushCompare.Web.Http;

namespace PushCompare.Web.Topics;

/// <summary>
/// The one rule for a topic's name, on publish (<c>POST /topics/{name}</c>) and on subscribe (<c>?topic=</c>): 1–64
/// characters, ASCII letters, digits, '.', '_' or '-', starting with a letter or digit. Case-sensitive. Narrow on
/// purpose: a name is safe in a URL path, a query, a log line and a Redis key without escaping.
/// </summary>
public static partial class TopicName
{
    public const string Rule = "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$";

    [GeneratedRegex(Rule, RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();

    public static bool IsValid(string? name) => name is not null && Pattern().IsMatch(name);

    /// <summary>The 400 for a name that breaks the rule; <paramref name="where"/> says where it came from (e.g. "topic=").</summary>
    public static IResult Invalid(string? name, string where) => Problems.Create(StatusCodes.Status400BadRequest, "Invalid topic name",
        $"{where}'{name}' is not a topic name: use 1 to 64 characters A–Z, a–z, 0–9, '.', '_' or '-', starting with a letter or digit " +
        $"(the rule {Rule}), e.g. 'ticker' or 'prices.eur-usd'.");
}
