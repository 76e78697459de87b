using System.Buffers.Text;
using System.Security.Cryptography;

namespace PushCompare.Web.LongPolling;

/// <summary>
/// Session ids: 128 random bits plus a 64-bit HMAC tag under a per-process key, base64url (32 characters).
/// The tag lets the server tell an id it issued that has since expired (410) from one it never issued (404)
/// without remembering every expired session.
/// </summary>
internal sealed class SessionIds
{
    private const int RandomBytes = 16, TagBytes = 8, IdBytes = RandomBytes + TagBytes;
    public const int Length = IdBytes / 3 * 4;

    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);

    public string NewId()
    {
        Span<byte> raw = stackalloc byte[IdBytes];
        RandomNumberGenerator.Fill(raw[..RandomBytes]);
        Tag(raw[..RandomBytes], raw[RandomBytes..]);
        return Base64Url.EncodeToString(raw);
    }

    /// <summary>True when this process issued <paramref name="id"/>, whether or not the session still exists.</summary>
    public bool WasIssued(string id)
    {
        Span<byte> raw = stackalloc byte[IdBytes];
        if (id.Length != Length || !Base64Url.TryDecodeFromChars(id, raw, out int written) || written != IdBytes) return false;
        Span<byte> expected = stackalloc byte[TagBytes];
        Tag(raw[..RandomBytes], expected);
        return CryptographicOperations.FixedTimeEquals(expected, raw[RandomBytes..]);
    }

    private void Tag(ReadOnlySpan<byte> random, Span<byte> tag)
    {
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(_key, random, mac);
        mac[..TagBytes].CopyTo(tag);
    }
}
