using System.Buffers.Text;
using System.Security.Cryptography;

namespace PushCompare.Web.Sessions;

/// <summary>
/// Session ids: 128 random bits plus a 64-bit HMAC tag under a per-process key (shared by every instance with Redis), base64url (32 characters).
/// The tag lets the server tell an id it issued that has since expired (410) from one it never issued (404)
/// without remembering every expired session. The id is the session's only credential, so its figures are listed
/// under a stats key instead: a keyed hash of the id that cannot be turned back into it (and is not an id: 404).
/// </summary>
internal sealed class SessionIds
{
    private const int RandomBytes = 16, TagBytes = 8, IdBytes = RandomBytes + TagBytes, StatsKeyBytes = 16;
    public const int Length = IdBytes / 3 * 4;
    private static ReadOnlySpan<byte> StatsLabel => "stats-key"u8; // domain separation: a stats key is never a tag

    public const int KeyBytes = 32;

    private readonly byte[] _key;

    /// <summary>Ids under a key of this process's own (the in-memory store: no other process can check them).</summary>
    public SessionIds() : this(RandomNumberGenerator.GetBytes(KeyBytes))
    {
    }

    /// <summary>Ids under a key shared by every instance (kept in Redis), so each can tell an expired id (410) from a made-up one (404).</summary>
    public SessionIds(byte[] key)
    {
        if (key.Length != KeyBytes) throw new ArgumentException($"A session id key has {KeyBytes} bytes.", nameof(key));
        _key = key;
    }

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

    /// <summary>The key <c>/api/stats</c> lists the session of <paramref name="id"/> under (22 characters, base64url).</summary>
    public string StatsKey(string id)
    {
        Span<byte> input = stackalloc byte[StatsLabel.Length + IdBytes * 2];
        StatsLabel.CopyTo(input);
        int length = StatsLabel.Length + System.Text.Encoding.ASCII.GetBytes(id, input[StatsLabel.Length..]);
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(_key, input[..length], mac);
        return Base64Url.EncodeToString(mac[..StatsKeyBytes]);
    }

    private void Tag(ReadOnlySpan<byte> random, Span<byte> tag)
    {
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(_key, random, mac);
        mac[..TagBytes].CopyTo(tag);
    }
}
