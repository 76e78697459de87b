using System.Text;
using PushCompare.UnitTests.Infrastructure;

namespace PushCompare.UnitTests.WebSockets;

/// <summary>The shipped 5 s close bound, and 64-byte messages so an oversize message is a few bytes.</summary>
public sealed class FiveSecondCloseApp : AppFactory
{
    public const int MaxMessageBytes = 64;

    public FiveSecondCloseApp() : base(("WebSockets:CloseTimeout", "00:00:05"), ("Messaging:MaxMessageBytes", MaxMessageBytes.ToString()))
    {
        StartOnKestrel();
    }
}

/// <summary>
/// RFC 6455 §7.1.1 and §5.5.1: after a close that answers a protocol error, or an invalid close frame from the peer, the
/// server does not wait for the peer's close frame: its FIN (or a reset) follows its own close frame at once, whatever
/// the peer sends next. "At once" is checked as within 1 s against a 5 s close bound: a connection ended then was not
/// ended by the bound.
/// </summary>
public sealed class ProtocolErrorEndsTcpTests(FiveSecondCloseApp app) : IClassFixture<FiveSecondCloseApp>
{
    private static readonly TimeSpan FarBelowCloseTimeout = TimeSpan.FromSeconds(1);

    private Task<RawConnection> OpenAsync() => RawConnection.OpenWebSocketAsync(app.KestrelAddress, "/ws?echo=exact");

    /// <summary>Reads the server's close frame, asserts its code, and asserts that TCP ends right after it.</summary>
    private static async Task AssertClosedWithThenEndedAsync(RawConnection raw, int expectedCode, string what)
    {
        var close = await raw.ReadFrameAsync();
        Assert.True(close.Opcode == ServerFrame.Close && close.CloseCode == expectedCode,
            $"{what}: expected close {expectedCode}, got opcode {close.Opcode} code {close.CloseCode}");
        await raw.ReadEndAsync(within: FarBelowCloseTimeout); // a FIN or a reset: either ends it
    }

    private static byte[] CloseFrame(int code, ReadOnlySpan<byte> reason) =>
        ClientFrame.Build(ServerFrame.Close, [(byte)(code >> 8), (byte)code, .. reason]);

    [Theory]
    [InlineData(0)]
    [InlineData(999)]
    [InlineData(1004)]
    [InlineData(1005)]
    [InlineData(1006)]
    [InlineData(1016)]
    [InlineData(1100)]
    [InlineData(2000)]
    [InlineData(2999)]
    public async Task A_close_frame_with_a_code_that_is_not_allowed_is_answered_1002_and_TCP_ends_at_once(int code)
    {
        await using var raw = await OpenAsync();

        await raw.WriteAsync(ClientFrame.Close(code));

        await AssertClosedWithThenEndedAsync(raw, 1002, $"close code {code}");
    }

    [Fact]
    public async Task A_close_frame_with_a_1_byte_payload_is_answered_1002_and_TCP_ends_at_once()
    {
        await using var raw = await OpenAsync();

        await raw.WriteAsync(ClientFrame.Build(ServerFrame.Close, [0x03]));

        await AssertClosedWithThenEndedAsync(raw, 1002, "1-byte close payload");
    }

    [Fact]
    public async Task A_close_reason_over_123_bytes_is_answered_1002_and_TCP_ends_at_once()
    {
        await using var raw = await OpenAsync();

        // 2 + 124 = 126 payload bytes: over the 125 a control frame may carry (§5.5).
        await raw.WriteAsync(CloseFrame(1000, Encoding.ASCII.GetBytes(new string('r', 124))));

        await AssertClosedWithThenEndedAsync(raw, 1002, "124-byte reason");
    }

    [Fact]
    public async Task A_close_reason_that_is_not_UTF8_is_answered_1002_and_TCP_ends_at_once()
    {
        await using var raw = await OpenAsync();

        await raw.WriteAsync(CloseFrame(1000, [0x48, 0xC3, 0x28])); // "H" then a broken 2-byte sequence

        await AssertClosedWithThenEndedAsync(raw, 1002, "invalid UTF-8 reason");
    }

    /// <summary>Protocol errors, each with the close code it gets.</summary>
    private static readonly Dictionary<string, (byte[] Frame, int Code)> Errors = new()
    {
        ["reserved opcode"] = (ClientFrame.Build(0x3, [1, 2, 3]), 1002),
        ["invalid UTF-8 text"] = (ClientFrame.Build(ServerFrame.Text, [0x48, 0xC3, 0x28]), 1007),
    };

    /// <summary>Not a frame (reserved bits, unmasked), and long enough for a header to be judged; ends on what looks like the start of a close frame.</summary>
    private static readonly byte[] Garbage = [0xFF, 0x00, 0x7F, 0x80, 0xFE, 0x01, 0x88, 0x82];

    /// <summary>What a peer may send right after the bad frame, before it has read the server's close frame.</summary>
    private static readonly Dictionary<string, byte[]> FollowUps = new()
    {
        ["garbage"] = Garbage,
        ["a valid close frame"] = ClientFrame.Close(1002),
    };

    public static TheoryData<string, string, int> ErrorThenMoreBytes()
    {
        var data = new TheoryData<string, string, int>();
        foreach (var (error, (frame, _)) in Errors)
        {
            foreach (var (followUp, next) in FollowUps)
            {
                for (int split = 1; split < frame.Length + next.Length; split++) data.Add(error, followUp, split);
            }
        }
        return data;
    }

    /// <summary>
    /// The bad frame and what the peer sends right after it, written in two parts split at every byte boundary, so the
    /// server's reads start anywhere: inside the bad frame's header, inside the next frame, or exactly on it.
    /// </summary>
    [Theory]
    [MemberData(nameof(ErrorThenMoreBytes))]
    public async Task Whatever_follows_a_protocol_error_and_wherever_the_bytes_are_split_TCP_ends_at_once(string error, string followUp, int split)
    {
        var (frame, code) = Errors[error];
        byte[] bytes = [.. frame, .. FollowUps[followUp]];
        await using var raw = await OpenAsync();

        await raw.WriteAsync(bytes.AsMemory(0, split));
        await raw.WriteAsync(bytes.AsMemory(split));

        await AssertClosedWithThenEndedAsync(raw, code, $"{error}, then {followUp}, split at byte {split}");
    }

    [Fact]
    public async Task Garbage_after_the_rest_of_an_oversize_message_ends_TCP_at_once_after_the_1009()
    {
        await using var raw = await OpenAsync();

        // The framework skips the rest of an oversize message frame by frame; garbage is a frame it cannot get past.
        await raw.WriteAsync(ClientFrame.Build(ServerFrame.Binary, new byte[FiveSecondCloseApp.MaxMessageBytes + 1]));
        Assert.Equal(1009, (await raw.ReadFrameAsync()).CloseCode);
        await raw.WriteAsync(Garbage);

        await raw.ReadEndAsync(within: FarBelowCloseTimeout);
    }
}
