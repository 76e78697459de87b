using PushCompare.Web.Http;

namespace PushCompare.UnitTests.LongPolling;

/// <summary>The one parser of push, wait, cursor and seq takes ASCII digits and nothing else.</summary>
public sealed class QueryNumberTests
{
    [Theory]
    [InlineData("0", 0)]
    [InlineData("007", 7)]
    [InlineData("9223372036854775807", long.MaxValue)]
    public void Digits_are_a_number(string value, long expected)
    {
        Assert.True(QueryNumber.TryParse(value, out long number));
        Assert.Equal(expected, number);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("-1")]
    [InlineData("+1")]
    [InlineData(" 1")]
    [InlineData("1 ")]
    [InlineData("1,000")]
    [InlineData("1e3")]
    [InlineData("0x10")]
    [InlineData("١٢")] // Arabic-Indic digits: not ASCII
    [InlineData("9223372036854775808")] // one past long.MaxValue
    public void Anything_else_is_not(string? value)
    {
        Assert.False(QueryNumber.TryParse(value, out long number));
        Assert.Equal(0, number);
    }

    [Fact]
    public void The_int_overload_refuses_what_does_not_fit()
    {
        Assert.True(QueryNumber.TryParse("2147483647", out int max));
        Assert.Equal(int.MaxValue, max);
        Assert.False(QueryNumber.TryParse("2147483648", out int _));
    }
}
