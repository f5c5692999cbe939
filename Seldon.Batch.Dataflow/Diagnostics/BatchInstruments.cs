using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Seldon.Batch.Dataflow;

/// <summary>The process's one <see cref="System.Diagnostics.Metrics.Meter"/> and one
/// <see cref="System.Diagnostics.ActivitySource"/> of the library; instruments are created from them once.</summary>
/// <remarks>Nothing here depends on the rest of the library, so every folder may use it. Both cost a branch when
/// nothing listens: an instrument's <c>Enabled</c> is false and <c>StartActivity</c> returns null.</remarks>
internal static class BatchInstruments
{
    private static readonly string? Version = typeof(BatchInstruments).Assembly.GetName().Version?.ToString();

    /// <summary>The library's meter.</summary>
    public static readonly Meter Meter = new(BatchDiagnostics.MeterName, Version);

    /// <summary>The library's activity source.</summary>
    public static readonly ActivitySource ActivitySource = new(BatchDiagnostics.ActivitySourceName, Version);
}
