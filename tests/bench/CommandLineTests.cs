using PushCompare.Bench;

namespace PushCompare.BenchTests;

/// <summary>Bad command lines are refused before anything starts, with a message that says what to fix.</summary>
public sealed class CommandLineTests
{
    [Theory]
    [InlineData("--size 4", "--size must be at least 8")]
    [InlineData("-t carrier-pigeon", "'carrier-pigeon' is not a transport")]
    [InlineData("--clients 10,x", "--clients '10,x' is not a comma-separated list")]
    [InlineData("--url ftp://example", "is not an absolute http:// or https:// URL")]
    [InlineData("--variant novalue", "is not NAME=Key=Value")]
    [InlineData("--duration 0", "--duration must be greater than 0")]
    public async Task Invalid_options_exit_non_zero_with_a_reason(string options, string message)
    {
        var output = new StringWriter();
        int exit = await BenchApp.RunAsync(["echo", .. options.Split(' ')], output);

        Assert.NotEqual(0, exit);
        Assert.Contains(message, output.ToString());
    }

    [Fact]
    public async Task Rate_is_refused_outside_echo()
    {
        var output = new StringWriter();
        Assert.NotEqual(0, await BenchApp.RunAsync(["push", "--rate", "100"], output));
        Assert.Contains("--rate applies to the echo scenario only", output.ToString());
    }

    [Fact]
    public async Task Help_lists_the_four_scenarios()
    {
        var output = new StringWriter();
        Assert.Equal(0, await BenchApp.RunAsync(["--help"], output));
        foreach (var scenario in new[] { "echo", "push", "lubbers", "idle" }) Assert.Contains(scenario, output.ToString());
    }
}
