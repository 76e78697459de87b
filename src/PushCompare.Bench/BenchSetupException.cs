namespace PushCompare.Bench;

/// <summary>The bench could not start what it measures (server, peer, connections); the message says what to do.</summary>
public sealed class BenchSetupException(string message, Exception? inner = null) : Hosting.ProcessSetupException(message, inner);

/// <summary>A requested transport the server does not offer, or one the bench has no client for: a bad command line (exit 2).</summary>
public sealed class TransportRefusedException(string message) : Exception(message);
