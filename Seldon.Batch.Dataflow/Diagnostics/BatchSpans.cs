using System.Diagnostics;

namespace Seldon.Batch.Dataflow;

/// <summary>The library's spans (docs/telemetry.md): <see cref="RunName"/> around a file run, <see cref="RequestName"/>
/// around each attempt of a request on the wire, and the W3C trace context a request carries. Started from
/// <see cref="BatchInstruments.ActivitySource"/>, which returns no span when nothing listens: callers check
/// <see cref="Enabled"/> first, so a request then costs one branch.</summary>
internal static class BatchSpans
{
    /// <summary>The span of a file run, the parent of its requests' spans.</summary>
    public const string RunName = "seldon.batch.run";

    /// <summary>The span of one attempt of a request on the wire.</summary>
    public const string RequestName = "seldon.batch.request";

    /// <summary>The batch id of the run or block (the <c>batch_id</c> of its output).</summary>
    public const string BatchIdTag = "seldon.batch.id";

    /// <summary>Whether anything listens to the library's spans.</summary>
    public static bool Enabled => BatchInstruments.ActivitySource.HasListeners();

    /// <summary>The span of an attempt: a client span, child of <paramref name="parent"/>, or a root when it is the
    /// default (whatever span the worker's thread happens to carry is not its parent); null when no listener wants it.</summary>
    /// <param name="parent">The span that was current when the block was made (a file run's span).</param>
    /// <param name="batchId">The block's batch id.</param>
    /// <param name="puid">The request's id (<c>seldon-puid</c>).</param>
    /// <param name="firstLine">The <c>batch_index</c> of the request's first line.</param>
    /// <param name="lines">The lines the request carries.</param>
    /// <param name="attempt">1 for the first attempt, 2 for the first retry…</param>
    public static Activity? StartRequest(ActivityContext parent, string batchId, string puid, long firstLine, int lines, int attempt)
    {
        if (parent == default && Activity.Current is not null)
        {
            // A default parent makes StartActivity take Activity.Current: a span that flowed into this pool thread with the
            // work (an application's request that posted lines to the block), not one the block was made under.
            Activity.Current = null;
        }

        var span = BatchInstruments.ActivitySource.StartActivity(RequestName, ActivityKind.Client, parent);
        if (span is { IsAllDataRequested: true })
        {
            span.SetTag(BatchIdTag, batchId);
            span.SetTag("seldon.batch.request.puid", puid);
            span.SetTag("seldon.batch.request.first_line", firstLine);
            span.SetTag("seldon.batch.request.lines", lines);
            span.SetTag("seldon.batch.request.attempt", attempt);
        }

        return span;
    }

    /// <summary>Ends a request's span with its answer: the status code, and for a failure the Error status with the
    /// failure's kind as <c>error.type</c> and its detail as the status description.</summary>
    /// <param name="span">The span of <see cref="StartRequest"/>.</param>
    /// <param name="code">The HTTP status or gRPC status code; 0 when nothing answered.</param>
    /// <param name="errorType">The kind of failure, lower case; null for an answer that succeeded.</param>
    /// <param name="detail">The failure's detail.</param>
    public static void StopRequest(Activity span, int code, string? errorType, string? detail)
    {
        if (span.IsAllDataRequested)
        {
            span.SetTag("seldon.batch.request.status_code", code);
            if (errorType is not null)
            {
                span.SetTag("error.type", errorType);
                span.SetStatus(ActivityStatusCode.Error, detail);
            }
        }

        span.Dispose();
    }

    /// <summary>Ends a request's span whose attempt threw (it was abandoned, or the client failed).</summary>
    public static void StopRequest(Activity span, Exception error)
    {
        if (span.IsAllDataRequested)
        {
            span.SetTag("error.type", error is OperationCanceledException ? "cancelled" : error.GetType().FullName);
            span.SetStatus(ActivityStatusCode.Error, error.Message);
        }

        span.Dispose();
    }

    /// <summary>The library's request span of the current attempt, for the transport to send its trace context; null
    /// when there is none (nothing listens, or the client is called from elsewhere): nothing is sent then.</summary>
    public static Activity? CurrentRequest =>
        Enabled && Activity.Current is { } current && ReferenceEquals(current.Source, BatchInstruments.ActivitySource) && current.OperationName == RequestName
            ? current
            : null;

    /// <summary>Writes <paramref name="span"/>'s W3C trace context (<c>traceparent</c>, and <c>tracestate</c> when it has
    /// one) into <paramref name="carrier"/> through the process's <see cref="DistributedContextPropagator.Current"/> (the
    /// W3C propagator unless the application chose another).</summary>
    /// <param name="span">The request's span.</param>
    /// <param name="carrier">The request's headers or metadata.</param>
    /// <param name="set">Sets one field of the carrier.</param>
    public static void Inject(Activity span, object carrier, DistributedContextPropagator.PropagatorSetterCallback set) =>
        DistributedContextPropagator.Current.Inject(span, carrier, set);
}
