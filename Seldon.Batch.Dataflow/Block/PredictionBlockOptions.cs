using Microsoft.Extensions.Logging;

namespace Seldon.Batch.Dataflow;

/// <summary>What a <see cref="PredictionBlock"/> needs: how lines become requests (encoding, micro-batches), how many go
/// at once, how patiently each is tried, and what it runs with (a cancellation token, a clock, a logger, counters).
/// Where the model is and what it speaks belong to the client the block is given (<see cref="EndpointSettings"/>), what a
/// file run reads and writes to <see cref="BatchOptions"/>. Defaults are those of the original
/// <c>seldon-batch-processor</c>; the block calls <see cref="Validate"/> with its client's protocol when it is built.</summary>
public sealed record PredictionBlockOptions
{
    /// <summary>How input lines are read: an array (data), a JSON document (json), a string (str) or a whole request (raw).</summary>
    public DataType DataType { get; init; } = DataType.Data;

    /// <summary>The payload kind of Seldon <c>data</c> requests.</summary>
    public PayloadType PayloadType { get; init; } = PayloadType.Ndarray;

    /// <summary>Predict or feedback (Seldon protocol, raw lines).</summary>
    public PredictionMethod Method { get; init; } = PredictionMethod.Predict;

    /// <summary>V2, data, str and json lines: the input tensor's name; empty means <c>input-0</c> (a file run asks the
    /// model's metadata first).</summary>
    public string InputName { get; init; } = "";

    /// <summary>V2, data lines: the input tensor's datatype (<c>FP32</c>, <c>INT64</c>…); empty means read from the values
    /// (a file run asks the model's metadata first).</summary>
    public string InputDatatype { get; init; } = "";

    /// <summary>The <c>batch_id</c> of every request and result; a new unique id per block (or run) when empty.</summary>
    public string BatchId { get; init; } = "";

    /// <summary>Lines per request: above 1 the rows of several lines go in one request and the answer is split back.</summary>
    public int BatchSize { get; init; } = 1;

    /// <summary>Requests on the wire at once.</summary>
    public int Workers { get; init; } = 1;

    /// <summary>Minimum time between two requests of one worker; zero for none.</summary>
    public TimeSpan BatchInterval { get; init; } = TimeSpan.Zero;

    /// <summary>When set, the block finds how many requests to keep on the wire (from 1 to its maximum) by the model's
    /// latency and overload answers, and <see cref="Workers"/> is not used; null (the default) keeps
    /// <see cref="Workers"/> on the wire.</summary>
    public AdaptiveConcurrency? AdaptiveConcurrency { get; init; }

    /// <summary>The most requests (or lines) per second the block sends, all workers and retries together; null (the
    /// default) for no limit.</summary>
    public RequestRate? MaxRate { get; init; }

    /// <summary>The most requests on the wire at once: <see cref="Workers"/>, or the adaptive maximum.</summary>
    internal int MaxWorkers => AdaptiveConcurrency?.Maximum ?? Workers;

    /// <summary>Attempts per request for transient failures (429, 408, timeouts), the first included: 1 never retries.</summary>
    public int MaxAttempts { get; init; } = 3;

    /// <summary>How long an outage of a model that answered before is waited out: past it the block stops with an
    /// <see cref="EndpointFailureException"/> (a file run stops with a resumable output). Default 300 s.</summary>
    public TimeSpan MaxOutage { get; init; } = TimeSpan.FromSeconds(300);

    /// <summary>How long the model may take to answer the first request, failures that would stop the block (a 404
    /// while the deployment is created) included. Zero (the default) waits a few seconds only, so a wrong host stops
    /// the block quickly.</summary>
    public TimeSpan WaitReady { get; init; } = TimeSpan.Zero;

    /// <summary>Lines the block holds at most between its input and its output (its bounded capacity): requests waiting
    /// to be sent, on the wire, waiting for a retry, or answered and waiting for the lines before them; at least
    /// 8 × <see cref="Workers"/> requests' worth whatever it says. Enough that a few retried lines do not stop the others
    /// (with 5 % of 503s the default keeps over 0.7 of the throughput at batch size 1 and 32), small enough for memory.</summary>
    public int WindowLines { get; init; } = 1024;

    /// <summary>The <c>batch_index</c> of the first line the block receives (a caller continuing earlier work starts past
    /// 0). The lines are grouped from the first one received: to send the micro-batches a run from line 0 sends (for a
    /// model whose answer depends on what shares its request), start at a multiple of <see cref="BatchSize"/>. A file run
    /// numbers the lines itself and ignores it.</summary>
    public long FirstIndex { get; init; }

    /// <summary>Cancels every stage of the block: what is in flight is dropped, what was already produced is still
    /// delivered in order (a valid prefix), then the completion faults with an <see cref="OperationCanceledException"/>.
    /// For a file run, a stop at once (a second Ctrl-C): the lines already answered are written and the output is left
    /// resumable.</summary>
    public CancellationToken CancellationToken { get; init; }

    /// <summary>The clock of retries' backoff, pacing, the outage budget and (for a file run) the elapsed time, progress
    /// and the shutdown timeout; the system's by default (tests give a fake one).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Where the block (or the file run) logs; nothing is logged when null.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>Counters the block updates; pass one to watch progress while it runs (a file run counts into it too:
    /// give each run a fresh one).</summary>
    public RunStatistics? Statistics { get; init; }

    /// <summary>The word for a setting that a failure's detail names (<c>EndpointSettings.MaxMessageBytes</c>) in the
    /// error records: a file run passes its <see cref="BatchOptions.SettingName"/>; null keeps the detail.</summary>
    internal Func<string, string>? SettingName { get; init; }

    /// <summary>Throws <see cref="InvalidBatchOptionsException"/> naming the first invalid setting by its property
    /// (<c>Workers must be at least 1, not 0</c>).</summary>
    /// <param name="protocol">The protocol of the client the block sends through (<see cref="EndpointSettings.Protocol"/>):
    /// some settings belong to one protocol only.</param>
    public void Validate(InferenceProtocol protocol = InferenceProtocol.Seldon)
    {
        if (Workers < 1)
        {
            throw InvalidBatchOptionsException.About(nameof(Workers), $" must be at least 1, not {Workers}");
        }

        ValidateFlow();
        if (MaxAttempts < 1)
        {
            throw InvalidBatchOptionsException.About(nameof(MaxAttempts), $" is the number of attempts per request and must be at least 1, not {MaxAttempts}");
        }

        if (BatchSize < 1)
        {
            throw InvalidBatchOptionsException.About(nameof(BatchSize), $" must be at least 1, not {BatchSize}");
        }

        if (BatchInterval < TimeSpan.Zero)
        {
            throw InvalidBatchOptionsException.About(nameof(BatchInterval), $" must be 0 or more seconds, not {BatchInterval.TotalSeconds}");
        }

        if (MaxOutage <= TimeSpan.Zero)
        {
            throw InvalidBatchOptionsException.About(nameof(MaxOutage), $" must be more than 0 seconds, not {MaxOutage.TotalSeconds}");
        }

        if (WaitReady < TimeSpan.Zero)
        {
            throw InvalidBatchOptionsException.About(nameof(WaitReady), $" must be 0 or more seconds, not {WaitReady.TotalSeconds}");
        }

        ValidateRunning();
        if (Method == PredictionMethod.Feedback && DataType != DataType.Raw)
        {
            throw InvalidBatchOptionsException.About([nameof(Method), nameof(DataType)], name =>
                $"{name(nameof(Method))} feedback needs {name(nameof(DataType))} raw (each line a Feedback message), not {name(nameof(DataType))} {SettingNames.ValueOf(DataType)}");
        }

        ValidateProtocol(protocol);
        if (BatchSize > 1 && protocol == InferenceProtocol.Seldon)
        {
            ValidateMicroBatches();
        }
    }

    /// <summary>The adaptive concurrency and the rate.</summary>
    private void ValidateFlow()
    {
        if (AdaptiveConcurrency is { } adaptive && (adaptive.Maximum < 1 || adaptive.Initial < 1))
        {
            throw InvalidBatchOptionsException.About(nameof(AdaptiveConcurrency),
                $"'s Maximum and Initial must be at least 1, not {adaptive.Maximum} and {adaptive.Initial}");
        }

        if (MaxRate is { } rate && !RequestRate.IsPositive(rate.PerSecond))
        {
            throw InvalidBatchOptionsException.About(nameof(MaxRate),
                $" must be a positive number of requests per second, or N/rows; not '{rate}'");
        }
    }

    /// <summary>The rules of what the block runs with: its window and first index, and a clock.</summary>
    private void ValidateRunning()
    {
        if (WindowLines < 1)
        {
            throw InvalidBatchOptionsException.About(nameof(WindowLines), $" must be at least 1, not {WindowLines}");
        }

        if (FirstIndex < 0)
        {
            throw InvalidBatchOptionsException.About(nameof(FirstIndex), $" must be 0 or more, not {FirstIndex}");
        }

        if (TimeProvider is null)
        {
            throw InvalidBatchOptionsException.About(nameof(TimeProvider), " must not be null");
        }
    }

    private void ValidateProtocol(InferenceProtocol protocol)
    {
        if (protocol != InferenceProtocol.V2)
        {
            foreach (var (property, value) in new[] { (nameof(InputName), InputName), (nameof(InputDatatype), InputDatatype) })
            {
                if (!string.IsNullOrEmpty(value))
                {
                    throw InvalidBatchOptionsException.BelongsToV2(property);
                }
            }

            return;
        }

        if (Method == PredictionMethod.Feedback)
        {
            throw InvalidBatchOptionsException.About([nameof(Method), nameof(EndpointSettings.Protocol)], name =>
                $"{name(nameof(Method))} feedback is part of the Seldon protocol: the Open Inference Protocol ({name(nameof(EndpointSettings.Protocol))} v2) has no feedback");
        }

        if (!string.IsNullOrEmpty(InputDatatype) && !TensorDatatype.All.Contains(InputDatatype))
        {
            throw InvalidBatchOptionsException.About(nameof(InputDatatype), $": '{InputDatatype}' is not one of {string.Join(", ", TensorDatatype.All)}");
        }
    }

    /// <summary>The Seldon protocol merges the rows of data (ndarray, tensor) and raw lines only, and sends one feedback
    /// message per request.</summary>
    private void ValidateMicroBatches()
    {
        if (Method == PredictionMethod.Feedback)
        {
            throw InvalidBatchOptionsException.About([nameof(Method), nameof(BatchSize)], name =>
                $"{name(nameof(Method))} feedback sends one Feedback message per request: use {name(nameof(BatchSize))} 1");
        }

        if (DataType is DataType.Json or DataType.Str)
        {
            throw InvalidBatchOptionsException.About([nameof(BatchSize), nameof(DataType)], name =>
                $"{name(nameof(BatchSize))} {BatchSize} needs {name(nameof(DataType))} data or raw: {SettingNames.ValueOf(DataType)} lines cannot be merged into one request");
        }

        if (DataType == DataType.Data && PayloadType == PayloadType.Tftensor)
        {
            throw InvalidBatchOptionsException.About([nameof(BatchSize), nameof(PayloadType)], name =>
                $"{name(nameof(BatchSize))} {BatchSize} works with {name(nameof(PayloadType))} ndarray or tensor, not tftensor");
        }
    }

    /// <summary>The retry, pacing and worker settings of the block's dispatcher.</summary>
    internal RetrySettings ToRetry() => new()
    {
        Attempts = MaxAttempts,
        Interval = BatchInterval,
        Workers = MaxWorkers,
        Adaptive = AdaptiveConcurrency,
        MaxRate = MaxRate,
        MaxOutage = MaxOutage,
        WaitReady = WaitReady,
    };
}
