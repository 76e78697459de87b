using System.Numerics;

namespace PushCompare.Hosting;

/// <summary>
/// How the project's command-line tools (the bench, the cluster command) refuse a bad value: System.CommandLine
/// parses the types (a number that is not one exits 1 with its own message), these check the ranges, and a value they
/// refuse is printed as "Error: sentence" with exit code <see cref="BadValueExitCode"/> before anything starts.
/// </summary>
public static class CommandLineChecks
{
    /// <summary>The exit code of a command line refused by these checks.</summary>
    public const int BadValueExitCode = 2;

    /// <summary>Reports a value the checks refused (their <see cref="FormatException"/>) on the command's error output; returns the exit code.</summary>
    public static async Task<int> RefuseAsync(TextWriter error, FormatException refusal)
    {
        await error.WriteLineAsync($"Error: {refusal.Message}");
        return BadValueExitCode;
    }

    public static T Positive<T>(T value, string option) where T : INumber<T> =>
        value > T.Zero ? value : throw new FormatException($"{option} must be greater than 0.");

    public static T NonNegative<T>(T value, string option) where T : INumber<T> =>
        value >= T.Zero ? value : throw new FormatException($"{option} must not be negative.");

    public static T AtLeast<T>(T value, T min, string option) where T : INumber<T> =>
        value >= min ? value : throw new FormatException($"{option} must be at least {min}.");

    public static T Between<T>(T value, T min, T max, string option) where T : INumber<T> =>
        value >= min && value <= max ? value : throw new FormatException($"{option} must be from {min} to {max}, not {value}.");
}
