
namespace Seldon.Batch.Dataflow;

/// <summary>What a <see cref="PredictionBlock"/> needs: how lines become requests (protocol, encoding, micro-batches),
/// how many go at once and how patiently each is tried. Where the model is belongs to the client the block is given
/// (<see cref="EndpointSettings"/>), what a file run reads and writes to <see cref="BatchOptions"/>. Defaults are those
/// of the original <c>seldon-batch-processor</c>; the block calls <see cref="Validate"/> when it is built.</summary>
public sealed record PredictionBlockOptions
{
    /// <summary>The protocol the model speaks: Seldon (default) or the Open Inference Protocol (V2); the same as the
    /// client's <see cref="EndpointSettings.Protocol"/>.</summary>
    public InferenceProtocol Protocol { get; init; } = InferenceProtocol.Seldon;

    /// <summary>How input lines are read: an array (data), a JSON document (json), a string (str) or a whole request (raw).</summary>
    public DataType DataType { get; init; } = DataType.Data;

    /// <summary>The payload kind of Seldon <c>data</c> requests.</summary>
    public PayloadType PayloadType { get; init; } = PayloadType.Ndarray;

    /// <summary>Predict or feedback (Seldon protocol, raw lines).</summary>
    public PredictionMethod Method { get; init; } = PredictionMethod.Predict;

    /// <summary>V2, data, str and json lines: the input tensor's name; empty means <c>input-0</c>.</summary>
    public string InputName { get; init; } = "";

    /// <summary>V2, data lines: the input's datatype (<c>FP32</c>, <c>INT64</c>…); empty means read from the values.</summary>
    public string Datatype { get; init; } = "";

    /// <summary>The <c>batch_id</c> of every request and result; a new unique id per block when empty.</summary>
    public string BatchId { get; init; } = "";

    /// <summary>Lines per request: above 1 the rows of several lines go in one request and the answer is split back.</summary>
    public int BatchSize { get; init; } = 1;

    /// <summary>Minimum time between two requests of one worker; zero for none.</summary>
    public TimeSpan BatchInterval { get; init; } = TimeSpan.Zero;

    /// <summary>Requests on the wire at once.</summary>
    public int Workers { get; init; } = 1;

    /// <summary>Attempts per request for transient failures (429, 408, timeouts), the first included.</summary>
    public int Retries { get; init; } = 3;

    /// <summary>How long an outage of a model that answered before is waited out: past it the block stops with an
    /// <see cref="EndpointFailureException"/>. Default 300 s.</summary>
    public TimeSpan MaxOutage { get; init; } = TimeSpan.FromSeconds(300);

    /// <summary>How long the model may take to answer the first request, failures that would stop the block (a 404
    /// while the deployment is created) included. Zero (the default) waits a few seconds only, so a wrong host stops
    /// the block quickly.</summary>
    public TimeSpan WaitReady { get; init; } = TimeSpan.Zero;

    /// <summary>Throws <see cref="InvalidBatchOptionsException"/> naming the first invalid setting by its property.</summary>
    public void Validate()
    {
        if (Workers < 1)
        {
            throw InvalidBatchOptionsException.About(nameof(Workers), $" must be at least 1, not {Workers}");
        }

        if (Retries < 1)
        {
            throw InvalidBatchOptionsException.About(nameof(Retries), $" is the number of attempts per request and must be at least 1, not {Retries}");
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

        if (Method == PredictionMethod.Feedback && DataType != DataType.Raw)
        {
            throw InvalidBatchOptionsException.About([nameof(Method), nameof(DataType)], name =>
                $"{name(nameof(Method))} feedback needs {name(nameof(DataType))} raw (each line a Feedback message), not {name(nameof(DataType))} {BatchOptions.Name(DataType)}");
        }

        ValidateProtocol();
        if (BatchSize > 1 && Protocol == InferenceProtocol.Seldon)
        {
            ValidateMicroBatches();
        }
    }

    private void ValidateProtocol()
    {
        if (Protocol != InferenceProtocol.V2)
        {
            foreach (var (property, value) in new[] { (nameof(InputName), InputName), (nameof(Datatype), Datatype) })
            {
                if (!string.IsNullOrEmpty(value))
                {
                    throw BelongsToV2(property);
                }
            }

            return;
        }

        if (Method == PredictionMethod.Feedback)
        {
            throw InvalidBatchOptionsException.About([nameof(Method), nameof(Protocol)], name =>
                $"{name(nameof(Method))} feedback is part of the Seldon protocol: the Open Inference Protocol ({name(nameof(Protocol))} v2) has no feedback");
        }

        if (!string.IsNullOrEmpty(Datatype) && !TensorDatatype.All.Contains(Datatype))
        {
            throw InvalidBatchOptionsException.About(nameof(Datatype), $": '{Datatype}' is not one of {string.Join(", ", TensorDatatype.All)}");
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
                $"{name(nameof(BatchSize))} {BatchSize} needs {name(nameof(DataType))} data or raw: {BatchOptions.Name(DataType)} lines cannot be merged into one request");
        }

        if (DataType == DataType.Data && PayloadType == PayloadType.Tftensor)
        {
            throw InvalidBatchOptionsException.About([nameof(BatchSize), nameof(PayloadType)], name =>
                $"{name(nameof(BatchSize))} {BatchSize} works with {name(nameof(PayloadType))} ndarray or tensor, not tftensor");
        }
    }

    /// <summary>A setting of the Open Inference Protocol set for the Seldon protocol.</summary>
    internal static InvalidBatchOptionsException BelongsToV2(string property) =>
        InvalidBatchOptionsException.About([property, nameof(Protocol)], name =>
            $"{name(property)} belongs to {name(nameof(Protocol))} v2; the Seldon protocol has no such setting");

    /// <summary>The word for a setting that a failure's detail names (<c>EndpointSettings.MaxMessageBytes</c>) in the
    /// error records: a file run passes its own (its options' property, as its caller words it); null keeps the detail.</summary>
    internal Func<string, string>? SettingName { get; init; }

    /// <summary>The retry, pacing and worker settings of the block's dispatcher.</summary>
    internal RetrySettings ToRetry() => new()
    {
        Attempts = Retries, Interval = BatchInterval, Workers = Workers, MaxOutage = MaxOutage, WaitReady = WaitReady,
    };
}
