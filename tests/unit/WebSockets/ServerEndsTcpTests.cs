using PushCompare.UnitTests.Infrastructure;

namespace PushCompare.UnitTests.WebSockets;

/// <summary>A 30 s close bound: a connection that ends within the tests' 10 s deadline was ended by the peer's close frame, not by the bound.</summary>
public sealed class PatientCloseApp : AppFactory
{
    public const int MaxMessageBytes = 64;

    public PatientCloseApp() : base(("WebSockets:CloseTimeout", "00:00:30"), ("Messaging:MaxMessageBytes", MaxMessageBytes.ToString()))
    {
        StartOnKestrel();
    }
}

/// <summary>A 1 s close bound, for peers that never answer the server's close frame.</summary>
public sealed class ImpatientCloseApp : AppFactory
{
    public ImpatientCloseApp() : base(("WebSockets:CloseTimeout", "00:00:01"))
    {
        StartOnKestrel();
    }
}

/// <summary>
/// Issue 8.4, RFC 6455 §7.1.1: after its close frame and the peer's, the server closes the TCP connection first, with a
/// FIN and nothing after the close frame, so the peer does not have to drop it. Raw sockets: the test answers the
/// server's close frame and then keeps its socket open.
/// </summary>
public sealed class ServerEndsTcpTests(PatientCloseApp patient, ImpatientCloseApp impatient)
    : IClassFixture<PatientCloseApp>, IClassFixture<ImpatientCloseApp>
{
    [Fact]
    public async Task After_invalid_UTF8_the_1007_arrives_intact_and_the_peers_close_frame_makes_the_server_end_TCP_with_a_FIN()
    {
        await using var raw = await RawConnection.OpenWebSocketAsync(patient.KestrelAddress, "/ws?echo=exact");

        await raw.WriteAsync(ClientFrame.Build(ServerFrame.Text, [0x48, 0xC3, 0x28])); // "H" then a broken 2-byte sequence

        var close = await raw.ReadFrameAsync();
        Assert.Equal(ServerFrame.Close, close.Opcode);
        Assert.Equal(1007, close.CloseCode);
        // A ping before our close frame: the server must not answer it (nothing may follow its close frame, §5.5.1).
        await raw.WriteAsync(ClientFrame.Build(ServerFrame.Ping, "still there?"u8));
        await raw.WriteAsync(ClientFrame.Close(1007));

        Assert.Equal(TcpEnd.Fin, await raw.ReadEndAsync());
    }

    public static TheoryData<string, byte[]> ProtocolErrors => new()
    {
        { "reserved opcode 0x3", ClientFrame.Build(0x3, [1, 2, 3]) },
        // At least 4 payload bytes: the server reads a frame's first 6 bytes (header + mask key) before it judges the header.
        { "unmasked client frame", ClientFrame.Build(ServerFrame.Text, "hello"u8, masked: false) },
    };

    [Theory]
    [MemberData(nameof(ProtocolErrors))]
    public async Task After_a_protocol_error_the_1002_arrives_intact_and_the_peers_close_frame_makes_the_server_end_TCP_with_a_FIN(
        string violation, byte[] frame)
    {
        await using var raw = await RawConnection.OpenWebSocketAsync(patient.KestrelAddress, "/ws?echo=exact");

        await raw.WriteAsync(frame);

        var close = await raw.ReadFrameAsync();
        Assert.True(close.CloseCode == 1002, $"{violation}: expected close 1002, got opcode {close.Opcode} code {close.CloseCode}");
        await raw.WriteAsync(ClientFrame.Close(1002));

        Assert.Equal(TcpEnd.Fin, await raw.ReadEndAsync());
    }

    [Fact]
    public async Task A_peer_that_sends_garbage_after_the_1002_and_never_closes_is_ended_with_a_FIN_by_the_close_timeout()
    {
        await using var raw = await RawConnection.OpenWebSocketAsync(impatient.KestrelAddress, "/ws?echo=exact");

        await raw.WriteAsync(ClientFrame.Build(0x3, [1, 2, 3]));
        Assert.Equal(1002, (await raw.ReadFrameAsync()).CloseCode);
        // Not frames at all, and no close frame ever: only the 1 s bound can end this.
        await raw.WriteAsync(Enumerable.Repeat((byte)0xFF, 4096).ToArray());

        Assert.Equal(TcpEnd.Fin, await raw.ReadEndAsync());
    }

    [Fact]
    public async Task After_a_1009_and_the_peers_answer_the_server_ends_TCP_with_a_FIN()
    {
        await using var raw = await RawConnection.OpenWebSocketAsync(patient.KestrelAddress, "/ws?echo=exact");

        await raw.WriteAsync(ClientFrame.Build(ServerFrame.Binary, new byte[PatientCloseApp.MaxMessageBytes + 1]));
        Assert.Equal(1009, (await raw.ReadFrameAsync()).CloseCode);
        await raw.WriteAsync(ClientFrame.Close(1009));

        Assert.Equal(TcpEnd.Fin, await raw.ReadEndAsync());
    }
}

/// <summary>The same rule for the 1001 the server sends when it shuts down; each test stops a host of its own.</summary>
public sealed class ShutdownEndsTcpTests
{
    private sealed class StoppableApp : AppFactory
    {
        public StoppableApp(string closeTimeout) : base(("WebSockets:CloseTimeout", closeTimeout))
        {
            StartOnKestrel();
        }
    }

    [Fact]
    public async Task During_shutdown_the_peers_answer_to_1001_makes_the_server_end_TCP_with_a_FIN()
    {
        await using var app = new StoppableApp("00:00:30");
        await using var raw = await RawConnection.OpenWebSocketAsync(app.KestrelAddress);

        var stopped = app.AppHost!.StopAsync();
        Assert.Equal(1001, (await raw.ReadFrameAsync()).CloseCode);
        await raw.WriteAsync(ClientFrame.Close(1001));

        Assert.Equal(TcpEnd.Fin, await raw.ReadEndAsync());
        await stopped.WaitAsync(Eventually.DefaultDeadline);
    }

    [Fact]
    public async Task During_shutdown_a_peer_that_never_answers_1001_is_ended_with_a_FIN_by_the_close_timeout()
    {
        // The host's own shutdown timeout (30 s) would end it only after the tests' 10 s deadline, and with a reset.
        await using var app = new StoppableApp("00:00:01");
        await using var raw = await RawConnection.OpenWebSocketAsync(app.KestrelAddress);

        var stopped = app.AppHost!.StopAsync();
        Assert.Equal(1001, (await raw.ReadFrameAsync()).CloseCode);

        Assert.Equal(TcpEnd.Fin, await raw.ReadEndAsync());
        await stopped.WaitAsync(Eventually.DefaultDeadline);
    }
}
