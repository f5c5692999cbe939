using System.Globalization;

namespace Seldon.Batch.Dataflow;

/// <summary>How many failed lines a run accepts before it stops (<c>--max-failures</c>): a count ("100") or a
/// share of the lines processed ("5%").</summary>
public readonly record struct FailureLimit
{
    /// <summary>A share is judged only once this many lines are done, so one early failure does not stop a run.</summary>
    internal const int MinimumSampleForShare = 100;

    private FailureLimit(long? count, double? percent)
    {
        Count = count;
        Percent = percent;
    }

    /// <summary>No limit: failures stay in-band error records, as in the original.</summary>
    public static FailureLimit None => default;

    /// <summary>Stop when more than this many lines failed.</summary>
    public long? Count { get; }

    /// <summary>Stop when more than this percentage of the lines processed failed.</summary>
    public double? Percent { get; }

    /// <summary>Whether a limit is set.</summary>
    public bool IsSet => Count is not null || Percent is not null;

    /// <summary>A limit of <paramref name="count"/> failed lines.</summary>
    public static FailureLimit OfCount(long count) =>
        count >= 0 ? new(count, null) : throw new ArgumentOutOfRangeException(nameof(count), "a failure count cannot be negative");

    /// <summary>A limit of <paramref name="percent"/> percent of the lines processed: judged once at least 100 lines are
    /// done, so one early failure does not stop a run, and at the end of a run however few lines it had.</summary>
    public static FailureLimit OfPercent(double percent) =>
        percent is >= 0 and <= 100 ? new(null, percent) : throw new ArgumentOutOfRangeException(nameof(percent), "a failure share is between 0% and 100%");

    /// <summary>Reads a limit as a command line takes it (<c>--max-failures</c>): a count ("100") or a share
    /// ("5%"); empty means no limit. Returns false for anything else.</summary>
    /// <param name="text">The limit's text.</param>
    /// <param name="limit">The limit read; <see cref="None"/> when the text is not one.</param>
    public static bool TryParse(string? text, out FailureLimit limit)
    {
        limit = None;
        text = text?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            return true;
        }

        if (text.EndsWith('%'))
        {
            if (double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var p) && p is >= 0 and <= 100)
            {
                limit = OfPercent(p);
                return true;
            }

            return false;
        }

        if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= 0)
        {
            limit = OfCount(n);
            return true;
        }

        return false;
    }

    /// <summary>Whether <paramref name="failed"/> of <paramref name="processed"/> lines is over the limit;
    /// with <paramref name="final"/>, a share is judged however few lines there were.</summary>
    internal bool IsExceeded(long failed, long processed, bool final)
    {
        if (Count is { } count)
        {
            return failed > count;
        }

        if (Percent is { } percent && processed > 0 && (final || processed >= MinimumSampleForShare))
        {
            return failed * 100.0 / processed > percent;
        }

        return false;
    }

    /// <inheritdoc />
    public override string ToString() => Count is { } c ? c.ToString(CultureInfo.InvariantCulture)
        : Percent is { } p ? p.ToString(CultureInfo.InvariantCulture) + "%" : "none";
}
