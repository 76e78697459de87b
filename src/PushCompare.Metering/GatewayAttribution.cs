using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace PushCompare.Metering;

/// <summary>
/// How an instance behind a PushCompare gateway tells the gateway what each forwarded request was, so the gateway —
/// where the browser's connection ends — attributes the browser's own bytes as exactly as an instance attributes its
/// connections' (docs/protocol.md, "Behind the gateway"). The gateway sets <see cref="RequestHeader"/> on every request
/// it forwards, after removing any copy the browser sent; an instance that sees it answers with
/// <see cref="ResponseHeader"/>, naming the transport that claimed the request and the key its session's figures are
/// listed under; the gateway reads that and removes it before the response goes on. So the browser never sees either
/// header, and a client that talks to an instance directly is never sent one. The gateway knows no transport: it
/// counts what the instance declared.
/// </summary>
public static class GatewayAttribution
{
    /// <summary>Gateway to instance, on every forwarded request: "a gateway meters this request's client connection".</summary>
    public const string RequestHeader = "PushCompare-Gateway";

    public const string RequestValue = "1";

    /// <summary>
    /// Instance to gateway, on the response of a request a transport claimed: <c>TRANSPORT[; keying=client-chosen]
    /// [; framing=rfc6455][; session=KEY][; issued=server-issued|client-chosen]</c>, defaults (server-issued keys, no
    /// framing, a session key issued as the transport's keying says) left out.
    /// </summary>
    public const string ResponseHeader = "PushCompare-Attribution";

    private const string KeyingParameter = "keying", FramingParameter = "framing", SessionParameter = "session", IssuedParameter = "issued";
    private const string ClientChosen = "client-chosen", ServerIssued = "server-issued", Rfc6455 = "rfc6455";
    private const int MaxTokenLength = 64; // transport ids, stats keys (22) and client keys (at most 64) alike

    /// <summary>
    /// An instance, for a request the gateway forwarded: declares the request's claim in its response head. Transports
    /// claim before they answer, so when the response starts (a 101 and an SSE stream's head included) the claim is made.
    /// </summary>
    internal static void DeclareOnStarting(HttpContext context) => context.Response.OnStarting(static state =>
    {
        var ctx = (HttpContext)state;
        if (ctx.Features.Get<IRequestMetering>() is RequestMeter { Declaration: { } declared })
            ctx.Response.Headers[ResponseHeader] = Format(declared);
        return Task.CompletedTask;
    }, context);

    /// <summary>
    /// The gateway, for a response of an instance: counts the browser's request as the instance declared it (a header
    /// value that does not parse leaves it "other"). Called before the response head is written to the browser.
    /// </summary>
    public static void Apply(HttpContext context, string? declared)
    {
        if (context.Features.Get<IRequestMetering>() is not RequestMeter request || !TryParse(declared, out var declaration)) return;
        if (request.Declare(declaration) is { } lease) context.Response.RegisterForDispose(lease); // open while the request is
    }

    internal static string Format(Declaration declaration)
    {
        var text = new StringBuilder(declaration.Transport);
        if (declaration.Keying == SessionKeying.ClientChosen) text.Append("; ").Append(KeyingParameter).Append('=').Append(ClientChosen);
        if (declaration.Framing == WireFraming.Rfc6455) text.Append("; ").Append(FramingParameter).Append('=').Append(Rfc6455);
        if (declaration.SessionKey is { } key) text.Append("; ").Append(SessionParameter).Append('=').Append(key);
        if (declaration.SessionKey is not null && declaration.SessionKeying != declaration.Keying)
            text.Append("; ").Append(IssuedParameter).Append('=').Append(declaration.SessionKeying == SessionKeying.ClientChosen ? ClientChosen : ServerIssued);
        return text.ToString();
    }

    /// <summary>
    /// Reads a <see cref="ResponseHeader"/> value. False for anything malformed: no transport, a transport or key that is
    /// not 1–64 characters <c>A–Z a–z 0–9 - _</c>, an unknown keying or framing. Unknown parameters are skipped.
    /// </summary>
    internal static bool TryParse(string? value, [NotNullWhen(true)] out Declaration? declaration)
    {
        declaration = null;
        if (string.IsNullOrEmpty(value)) return false;
        var parts = value.Split(';', StringSplitOptions.TrimEntries);
        if (!IsToken(parts[0])) return false;
        var (keying, framing, key, issued) = (SessionKeying.ServerIssued, WireFraming.None, (string?)null, (SessionKeying?)null);
        foreach (var part in parts.AsSpan(1))
        {
            int eq = part.IndexOf('=');
            if (eq <= 0) return false;
            string name = part[..eq].Trim(), given = part[(eq + 1)..].Trim();
            switch (name)
            {
                case KeyingParameter when given == ClientChosen: keying = SessionKeying.ClientChosen; break;
                case KeyingParameter: return false;
                case FramingParameter when given == Rfc6455: framing = WireFraming.Rfc6455; break;
                case FramingParameter: return false;
                case SessionParameter when IsToken(given): key = given; break;
                case SessionParameter: return false;
                case IssuedParameter when given == ServerIssued: issued = SessionKeying.ServerIssued; break;
                case IssuedParameter when given == ClientChosen: issued = SessionKeying.ClientChosen; break;
                case IssuedParameter: return false;
                default: break; // a later version's parameter
            }
        }
        declaration = new Declaration(parts[0], keying, framing, key, issued == keying ? null : issued);
        return true;
    }

    private static bool IsToken(string text) =>
        text.Length is > 0 and <= MaxTokenLength && text.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');
}

/// <summary>What an instance declared about one request: its transport (as the transport describes itself) and its session's key.</summary>
/// <paramref name="IssuedAs"/>: who issued the session's key when not the transport's own keying (a server-issued session
/// carried by a transport whose plain connections name their own keys); null when it is.
internal sealed record Declaration(string Transport, SessionKeying Keying, WireFraming Framing, string? SessionKey, SessionKeying? IssuedAs = null)
{
    public SessionKeying SessionKeying => IssuedAs ?? Keying;
}
