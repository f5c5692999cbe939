using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Dispatch;

/// <summary>How <c>--max-rate</c> becomes a token bucket: the arithmetic only, no timing.</summary>
public sealed class RatePlanTests
{
    [Theory]
    [InlineData(7.5, 1, 133.3333, 2)]
    [InlineData(200, 2, 10, 50)]
    [InlineData(20000, 200, 10, 5000)]
    [InlineData(0.5, 1, 2000, 1)]
    [InlineData(150, 2, 13.3333, 38)]
    [InlineData(1234.5, 13, 10.5306, 309)]
    public void The_period_is_chosen_from_the_rate_with_whole_tokens(double rate, int tokens, double periodMs, int limit)
    {
        var plan = RatePlan.For(RequestRate.RequestsPerSecond(rate), largestRequest: 32);

        Assert.Equal(tokens, plan.TokensPerPeriod);
        Assert.Equal(periodMs, plan.Period.TotalMilliseconds, 0.001);
        Assert.True(plan.Period >= RatePlan.ShortestPeriod || plan.TokensPerPeriod == 1);
        // A quarter second of the rate, so a timer firing late is caught up; a request's size does not count.
        Assert.Equal(limit, plan.TokenLimit);
    }

    [Theory]
    [InlineData(0.01)]
    [InlineData(7.5)]
    [InlineData(99.9)]
    [InlineData(200)]
    [InlineData(333.333)]
    [InlineData(20000)]
    [InlineData(1e6)]
    public void The_plan_gives_the_rate_asked_for_within_a_few_parts_per_million(double rate)
    {
        var plan = RatePlan.For(RequestRate.RowsPerSecond(rate), largestRequest: 1);

        Assert.InRange(plan.PerSecond / rate, 1 - 1e-5, 1 + 1e-5);
    }

    [Fact]
    public void A_rate_in_lines_holds_at_least_one_request_of_lines()
    {
        var plan = RatePlan.For(RequestRate.RowsPerSecond(40), largestRequest: 32);

        Assert.Equal(1, plan.TokensPerPeriod);
        Assert.Equal(25, plan.Period.TotalMilliseconds);
        Assert.Equal(32, plan.TokenLimit);
        using var limiter = plan.CreateLimiter();
        Assert.Equal(32, limiter.GetStatistics()!.CurrentAvailablePermits);
    }

    [Theory]
    [InlineData("7.5", 7.5, false)]
    [InlineData(" 200 ", 200, false)]
    [InlineData("20000/rows", 20000, true)]
    [InlineData("1e3 / ROWS", 1000, true)]
    [InlineData("50/requests", 50, false)]
    public void A_rate_reads_as_requests_or_rows_per_second(string text, double perSecond, bool rows)
    {
        Assert.True(RequestRate.TryParse(text, out var rate));
        Assert.Equal(perSecond, rate!.PerSecond);
        Assert.Equal(rows, rate.CountsRows);
        Assert.True(RequestRate.TryParse(rate.ToString(), out var again));
        Assert.Equal(rate, again);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("")]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("10/bytes")]
    [InlineData("10/rows/s")]
    public void What_is_not_a_positive_rate_is_refused(string text)
    {
        Assert.False(RequestRate.TryParse(text, out var rate));
        Assert.Null(rate);
    }

    [Fact]
    public void The_options_refuse_a_rate_that_is_not_positive_naming_the_property()
    {
        var invalid = Assert.Throws<InvalidBatchOptionsException>(() => new PredictionBlockOptions { MaxRate = RequestRate.RequestsPerSecond(0) }.Validate());

        Assert.Equal("MaxRate", invalid.Property);
        Assert.Contains("positive number of requests per second", invalid.Message);
    }
}
