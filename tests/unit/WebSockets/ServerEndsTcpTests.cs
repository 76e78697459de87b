using PushCompare.UnitTests.Infrastructure;

namespace PushCompare.UnitTests.WebSockets;

/// <summary>A 30 s close bound: a connection that ends within the tests' 10 s deadline was ended by the server's own decision or the peer's close frame, not by the bound.</summary>
public sealed class PatientCloseApp : AppFactory
{
    public const int MaxMessageBytes = 64;

    public PatientCloseApp() : base(("WebSockets:CloseTimeout", "00:00:30"), ("Messaging:MaxMessageBytes", MaxMessageBytes.ToString()))
    {
        StartOnKestrel();
    }
}

/// <summary>
/// RFC 6455 §7.1.1: the server closes the TCP connection first, with a FIN and nothing after its close frame, so the
/// peer does not have to drop it. After a protocol error it does not wait for the peer's close frame; after a close of
/// its own choosing (1009) it waits for the peer's answer. Raw sockets: the test keeps its socket open.
/// </summary>
public sealed class ServerEndsTcpTests(PatientCloseApp patient) : IClassFixture<PatientCloseApp>
{
    [Fact]
    public async Task After_invalid_UTF8_the_1007_arrives_intact_and_the_server_ends_TCP_with_a_FIN_without_waiting_for_the_peer()
    {
        await using var raw = await RawConnection.OpenWebSocketAsync(patient.KestrelAddress, "/ws?echo=exact");

        await raw.WriteAsync(ClientFrame.Build(ServerFrame.Text, [0x48, 0xC3, 0x28])); // "H" then a broken 2-byte sequence

        var close = await raw.ReadFrameAsync();
        Assert.Equal(ServerFrame.Close, close.Opcode);
        Assert.Equal(1007, close.CloseCode);
        // No close frame from us, and a 30 s close bound: only the server's own decision can end it within the deadline.
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
    public async Task After_a_protocol_error_the_1002_arrives_intact_and_the_server_ends_TCP_with_a_FIN_without_waiting_for_the_peer(
        string violation, byte[] frame)
    {
        await using var raw = await RawConnection.OpenWebSocketAsync(patient.KestrelAddress, "/ws?echo=exact");

        await raw.WriteAsync(frame);

        var close = await raw.ReadFrameAsync();
        Assert.True(close.CloseCode == 1002, $"{violation}: expected close 1002, got opcode {close.Opcode} code {close.CloseCode}");
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
    /// <summary>On a test clock: the close timeout passes only when a test advances it.</summary>
    private sealed class StoppableApp : TestClockApp
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
        var closeTimeout = TimeSpan.FromSeconds(1);
        await using var app = new StoppableApp(closeTimeout.ToString());
        await using var raw = await RawConnection.OpenWebSocketAsync(app.KestrelAddress);

        var stopped = app.AppHost!.StopAsync();
        Assert.Equal(1001, (await raw.ReadFrameAsync()).CloseCode);
        await app.Clock.AdvanceArmedAsync(closeTimeout); // the server waits for an answer that never comes

        Assert.Equal(TcpEnd.Fin, await raw.ReadEndAsync());
        await stopped.WaitAsync(Eventually.DefaultDeadline);
    }
}
