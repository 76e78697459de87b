using System.IO.Compression;
using System.Buffers;
using System.IO.Pipelines;
using System.Text;

namespace PushCompare.UnitTests.Compression;

/// <summary>
/// The client side of permessage-deflate (RFC 7692 §7.2), done in the test with .NET's own DEFLATE so the server's
/// frames are checked by an implementation other than the one that made them.
/// </summary>
internal static class PerMessageDeflate
{
    /// <summary>The empty stored block a sync flush ends with; §7.2.1 removes it from the frame, §7.2.2 appends it back.</summary>
    internal static readonly byte[] Tail = [0x00, 0x00, 0xFF, 0xFF];

    /// <summary>One message compressed in a fresh context (as with client_no_context_takeover), tail removed.</summary>
    public static byte[] Compress(string text)
    {
        var output = new MemoryStream();
        using (var deflate = new DeflateStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            deflate.Write(Encoding.UTF8.GetBytes(text));
            deflate.Flush(); // a sync flush: the data so far, then the 4-byte tail
        }
        var bytes = output.ToArray();
        int end = bytes.AsSpan().LastIndexOf(Tail);
        Assert.True(end > 0, "a sync flush ends with 00 00 FF FF");
        return bytes[..end];
    }

    /// <summary>Inflates one message in a fresh context: fails if the sender referred back into an earlier message.</summary>
    public static string Decompress(byte[] payload, int expectedBytes)
    {
        using var inflater = new Inflater();
        return inflater.Next(payload, expectedBytes);
    }
}

/// <summary>A receiver's deflate context kept across messages (context takeover, RFC 7692 §7.2.3.2).</summary>
internal sealed class Inflater : IDisposable
{
    private readonly Pipe _input = new();
    private readonly DeflateStream _inflate;

    public Inflater() => _inflate = new DeflateStream(_input.Reader.AsStream(), CompressionMode.Decompress);

    /// <summary>Feeds one message's frame payload (with the tail appended back) and reads its <paramref name="expectedBytes"/> bytes of text.</summary>
    public string Next(byte[] payload, int expectedBytes)
    {
        _input.Writer.Write(payload.AsSpan());
        _input.Writer.Write(PerMessageDeflate.Tail);
        _input.Writer.FlushAsync().AsTask().GetAwaiter().GetResult();
        var text = new byte[expectedBytes];
        _inflate.ReadExactly(text);
        return Encoding.UTF8.GetString(text);
    }

    public void Dispose()
    {
        _input.Writer.Complete();
        _inflate.Dispose();
    }
}
