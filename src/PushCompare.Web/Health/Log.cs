namespace PushCompare.Web.Health;

internal static partial class Log
{
    [LoggerMessage(EventId = 700, Level = LogLevel.Warning,
        Message = "Shutdown requested: /readyz answers 503 from now on; still serving for {Grace} (Health:DrainGrace) before connections close and sessions drain")]
    public static partial void DrainGraceStarted(ILogger logger, TimeSpan grace);

    [LoggerMessage(EventId = 701, Level = LogLevel.Warning, Message = "Drain grace over: closing connections and draining sessions")]
    public static partial void DrainGraceOver(ILogger logger);
}
