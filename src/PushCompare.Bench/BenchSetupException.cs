namespace PushCompare.Bench;

/// <summary>The bench could not start what it measures (server, peer, connections); the message says what to do.</summary>
public sealed class BenchSetupException(string message, Exception? inner = null) : Exception(message, inner);
