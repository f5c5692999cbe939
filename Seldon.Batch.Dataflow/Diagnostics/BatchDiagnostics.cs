namespace Seldon.Batch.Dataflow;

/// <summary>The names under which the library reports what it does, for an application's OpenTelemetry SDK:
/// <c>AddMeter(BatchDiagnostics.MeterName)</c> and <c>AddSource(BatchDiagnostics.ActivitySourceName)</c>
/// (docs/telemetry.md lists the instruments and spans).</summary>
public static class BatchDiagnostics
{
    /// <summary>The name of the library's <see cref="System.Diagnostics.Metrics.Meter"/>.</summary>
    public const string MeterName = "Seldon.Batch.Dataflow";

    /// <summary>The name of the library's <see cref="System.Diagnostics.ActivitySource"/>.</summary>
    public const string ActivitySourceName = "Seldon.Batch.Dataflow";
}
