using System.Threading.RateLimiting;

namespace Seldon.Batch.Dataflow;

/// <summary>How a <see cref="RequestRate"/> becomes a token bucket: the period, the tokens added per period and the
/// bucket's size (its burst).</summary>
/// <remarks>System.Threading.RateLimiting's <see cref="TokenBucketRateLimiter"/> takes whole tokens per period. The period
/// is chosen from the rate so that tokens ÷ period is the rate itself: the fewest whole tokens whose period is at least
/// <see cref="ShortestPeriod"/> (a timer's tick is about a millisecond; ten keep the timer cheap and its lateness small
/// against the period), which gives 7.5/s one token every 133.3 ms and 20000/s 200 tokens every 10 ms. The period is
/// exact to the tick (100 ns), so the rate is exact to a few parts per million. The limiter adds tokens in proportion to
/// the time since its last replenishment but never beyond the bucket's size, so a bucket of one period's tokens loses
/// whatever a late timer owes: on a busy machine a 10 ms timer that fires every 15 ms gave two thirds of the rate
/// (measured). The bucket therefore holds <see cref="CatchUp"/> of the rate (or one request's lines when that is more:
/// a request of 32 lines needs 32 tokens at once), which catches up a timer that late; it is a burst only after the run
/// sent nothing for that long (at the start, after an outage).</remarks>
/// <param name="Period">How often tokens are added.</param>
/// <param name="TokensPerPeriod">How many are added each period.</param>
/// <param name="TokenLimit">The most the bucket holds.</param>
internal readonly record struct RatePlan(TimeSpan Period, int TokensPerPeriod, int TokenLimit)
{
    /// <summary>The shortest period the bucket is replenished at.</summary>
    internal static readonly TimeSpan ShortestPeriod = TimeSpan.FromMilliseconds(10);

    /// <summary>How late the bucket's timer may fire without the rate losing what it owes: the bucket holds this much of it.</summary>
    internal static readonly TimeSpan CatchUp = TimeSpan.FromMilliseconds(250);

    /// <summary>The plan of <paramref name="rate"/> when the largest request takes <paramref name="largestRequest"/> tokens.</summary>
    public static RatePlan For(RequestRate rate, int largestRequest)
    {
        var perSecond = rate.PerSecond;
        var tokens = Math.Max(1, (int)Math.Min(int.MaxValue / 2, Math.Ceiling(perSecond * ShortestPeriod.TotalSeconds - 1e-9)));
        var period = TimeSpan.FromTicks(Math.Clamp((long)Math.Min(long.MaxValue / 2, Math.Round(tokens * TimeSpan.TicksPerSecond / perSecond)), 1, TimeSpan.TicksPerDay));
        var catchUp = (int)Math.Min(int.MaxValue / 2, Math.Ceiling(perSecond * CatchUp.TotalSeconds - 1e-9));
        return new RatePlan(period, tokens, Math.Max(Math.Max(tokens, catchUp), rate.CountsRows ? largestRequest : 1));
    }

    /// <summary>The requests (or lines) per second the plan gives.</summary>
    public double PerSecond => TokensPerPeriod * TimeSpan.TicksPerSecond / (double)Period.Ticks;

    /// <summary>The token bucket of the plan, its waiters served oldest first.</summary>
    public TokenBucketRateLimiter CreateLimiter() => new(new TokenBucketRateLimiterOptions
    {
        TokenLimit = TokenLimit,
        TokensPerPeriod = TokensPerPeriod,
        ReplenishmentPeriod = Period,
        QueueLimit = int.MaxValue,
        QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        AutoReplenishment = true,
    });
}
