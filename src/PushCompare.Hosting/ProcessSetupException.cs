namespace PushCompare.Hosting;

/// <summary>A process of the set-up could not be started or never became ready; the message says why and what to do.</summary>
public class ProcessSetupException(string message, Exception? inner = null) : Exception(message, inner);
