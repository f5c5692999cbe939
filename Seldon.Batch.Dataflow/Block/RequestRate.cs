using System.Globalization;

namespace Seldon.Batch.Dataflow;

/// <summary>The most a block may send per second (<see cref="PredictionBlockOptions.MaxRate"/>): requests per second, or
/// lines (rows) per second, shared by all of its workers, retries included (they reach the server too).</summary>
/// <remarks>Paced on a schedule spaced 1/rate apart with a burst of 10 ms of the rate (or one request), so the requests
/// go out evenly rather than in bursts once a second, and the rate over a minute is exact on a busy machine too. Written <c>7.5</c> (requests per second) or
/// <c>20000/rows</c> (lines per second); see <see cref="TryParse"/>.</remarks>
public sealed record RequestRate
{
    /// <summary>A rate of <paramref name="perSecond"/> requests per second.</summary>
    /// <param name="perSecond">Requests per second; more than 0 (validated with the block's options).</param>
    public static RequestRate RequestsPerSecond(double perSecond) => new() { PerSecond = perSecond };

    /// <summary>A rate of <paramref name="perSecond"/> lines per second: a request takes as many of them as it carries lines.</summary>
    /// <param name="perSecond">Lines per second; more than 0 (validated with the block's options).</param>
    public static RequestRate RowsPerSecond(double perSecond) => new() { PerSecond = perSecond, CountsRows = true };

    /// <summary>How many requests (or lines, with <see cref="CountsRows"/>) per second.</summary>
    public double PerSecond { get; init; }

    /// <summary>Whether <see cref="PerSecond"/> counts lines (each request as many as it carries) rather than requests.</summary>
    public bool CountsRows { get; init; }

    /// <summary>Reads <c>N</c> (requests per second) or <c>N/rows</c> (lines per second), N a positive decimal number
    /// such as <c>7.5</c>; <c>N/requests</c> is accepted too.</summary>
    /// <param name="text">The text, as a flag or an environment variable gives it.</param>
    /// <param name="rate">The rate read, or null when <paramref name="text"/> is not one.</param>
    /// <returns>Whether <paramref name="text"/> is a positive, finite rate.</returns>
    public static bool TryParse(string? text, out RequestRate? rate)
    {
        rate = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var parts = text.Trim().Split('/', 2, StringSplitOptions.TrimEntries);
        var rows = parts.Length == 2 && parts[1].ToLowerInvariant() is "rows" or "row" or "lines";
        if (parts.Length == 2 && !rows && parts[1].ToLowerInvariant() is not ("requests" or "request" or "s"))
        {
            return false;
        }

        if (!double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var perSecond) || !IsPositive(perSecond))
        {
            return false;
        }

        rate = rows ? RowsPerSecond(perSecond) : RequestsPerSecond(perSecond);
        return true;
    }

    /// <summary>The rate as <see cref="TryParse"/> reads it: <c>7.5</c> or <c>20000/rows</c>.</summary>
    public override string ToString() =>
        PerSecond.ToString("0.###", CultureInfo.InvariantCulture) + (CountsRows ? "/rows" : "");

    /// <summary>Whether a rate can pace anything: finite and more than 0.</summary>
    internal static bool IsPositive(double perSecond) => double.IsFinite(perSecond) && perSecond > 0;
}
