using System.Diagnostics;

namespace Seldon.Batch.Dataflow;

/// <summary>The <c>seldon.batch.run</c> span of a file run (docs/telemetry.md): started when the run starts, so the spans
/// of its requests are its children (the block is made while it is current), and ended with how the run ended.</summary>
internal static class RunSpan
{
    /// <summary>The run's span, current from here on; null when nothing listens.</summary>
    public static Activity? Start(BatchOptions options)
    {
        if (!BatchSpans.Enabled)
        {
            return null;
        }

        var span = BatchInstruments.ActivitySource.StartActivity(BatchSpans.RunName, ActivityKind.Internal);
        if (span is { IsAllDataRequested: true })
        {
            var endpoint = options.Endpoint;
            span.SetTag("seldon.batch.input", options.InputDataPath);
            span.SetTag("seldon.batch.output", options.OutputDataPath);
            span.SetTag(RunInstruments.ProtocolTag, SettingNames.ValueOf(endpoint.Protocol));
            span.SetTag(RunInstruments.TransportTag, SettingNames.ValueOf(endpoint.Transport));
            span.SetTag("seldon.batch.workers", options.Block.Workers);
            span.SetTag("seldon.batch.batch_size", options.Block.BatchSize);
        }

        return span;
    }

    /// <summary>Tags the span with the run's batch id, once the run knows it (a resumed run continues its batch).</summary>
    public static void Started(Activity? span, string batchId) => span?.SetTag(BatchSpans.BatchIdTag, batchId);

    /// <summary>Ends the span with the run's summary: a run that stopped is an error, with its reason.</summary>
    public static void End(Activity? span, RunSummary summary)
    {
        if (span is null)
        {
            return;
        }

        if (span.IsAllDataRequested)
        {
            span.SetTag("seldon.batch.outcome", SettingNames.ValueOf(summary.Outcome));
            span.SetTag("seldon.batch.lines", summary.Instances);
            span.SetTag("seldon.batch.lines.failed", summary.Failed);
            span.SetTag("seldon.batch.requests", summary.Requests);
            span.SetTag("seldon.batch.retries", summary.Retries);
            if (summary.Outcome == RunOutcome.Stopped)
            {
                span.SetStatus(ActivityStatusCode.Error, summary.StopReason);
            }
        }

        span.Dispose();
    }

    /// <summary>Ends the span of a run that threw while it was handling a failure of its storage (a setting refused);
    /// nothing when the span has ended.</summary>
    public static void EndIfOpen(Activity? span)
    {
        if (span is { IsStopped: false })
        {
            span.SetStatus(ActivityStatusCode.Error, "the run failed");
            span.Dispose();
        }
    }

    /// <summary>Ends the span of a run that threw (its settings or its output refused it).</summary>
    public static void End(Activity? span, Exception error)
    {
        if (span is null)
        {
            return;
        }

        if (span.IsAllDataRequested)
        {
            span.SetTag("error.type", error.GetType().FullName);
            span.SetStatus(ActivityStatusCode.Error, error.Message);
        }

        span.Dispose();
    }
}
