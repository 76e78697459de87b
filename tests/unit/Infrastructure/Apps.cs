namespace PushCompare.UnitTests.Infrastructure;

// Shared hosts, one per set of limits, used as xunit class fixtures so a class starts its host once.

/// <summary>The shipped defaults (64 KiB messages): WebSocket echo tests.</summary>
public sealed class DefaultApp : AppFactory;

/// <summary>Polling with a 200 ms poll timeout, so an empty poll answers 204 quickly; every limit explicit so tests can compare.</summary>
public sealed class ShortPollApp() : AppFactory(
    ("LongPolling:PollTimeout", "00:00:00.200"),
    ("Sessions:IdleTimeout", "00:00:30"),
    ("Sessions:MaxBacklogMessages", "500"),
    ("Sessions:MaxBacklogBytes", "300000"),
    ("Messaging:MaxMessageBytes", "4096"))
{
    public const int PollTimeoutMs = 200, IdleTimeoutMs = 30_000, MaxBacklogMessages = 500, MaxBacklogBytes = 300_000, MaxMessageBytes = 4096;
}

/// <summary>Polling with a 30 s poll timeout, so a poll that answers early was answered by an event, not by the timeout.</summary>
public sealed class HeldPollApp() : AppFactory(("LongPolling:PollTimeout", "00:00:30"));

/// <summary>A 64-byte message limit, so oversize tests send tiny payloads.</summary>
public sealed class SmallMessageApp() : AppFactory(("Messaging:MaxMessageBytes", SmallMessageApp.MaxMessageBytes.ToString()))
{
    public const int MaxMessageBytes = 64;
}

/// <summary>
/// Sessions expire after 1 s without a poll; a held poll (10 s) outlasts that many times over. On a test clock, so
/// time passes only when the test advances it: a loaded machine cannot expire a session the test is still setting up.
/// </summary>
public sealed class IdleExpiryApp() : TestClockApp(
    ("Sessions:IdleTimeout", "00:00:01"),
    ("LongPolling:PollTimeout", "00:00:10"))
{
    /// <summary>Past the idle timeout and the sweep after it (the sweeper runs four times per idle timeout), short of the poll timeout.</summary>
    public static readonly TimeSpan PastIdleTimeout = TimeSpan.FromSeconds(1.5);
}

/// <summary>The app on real Kestrel bound to a free loopback port, for tests that must see the bytes on the wire.</summary>
public sealed class KestrelApp : AppFactory
{
    public KestrelApp()
    {
        StartOnKestrel();
    }
}

/// <summary>Room for two open sessions only.</summary>
public sealed class SessionLimitApp() : AppFactory(("Sessions:MaxSessions", "2"));

/// <summary>A session may hold three unacknowledged messages; the fourth closes it.</summary>
public sealed class BacklogLimitApp() : AppFactory(("Sessions:MaxBacklogMessages", "3"));
