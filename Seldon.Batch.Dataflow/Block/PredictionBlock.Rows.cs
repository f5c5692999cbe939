using System.Text;
using System.Threading.Tasks.Dataflow;

namespace Seldon.Batch.Dataflow;

// Table rows through the block: what a CSV or Parquet run does to each row, for rows of the caller's own type.
public static partial class PredictionBlock
{
    /// <summary>Creates a block that sends table rows of the caller's type to the model and gives each back with its
    /// prediction columns, in input order, as a CSV or Parquet run does: each row's values of <paramref name="columns"/>
    /// become one model input row (Seldon: <c>{"data":{"names":[…],"ndarray":[[…]]}}</c>, or a tensor with
    /// <see cref="PredictionBlockOptions.PayloadType"/> tensor; Open Inference: one input per column, or one tensor by
    /// <paramref name="v2Inputs"/>), micro-batched by <see cref="PredictionBlockOptions.BatchSize"/>. A row with a null, NaN or
    /// infinite value is not sent: its result is a failure naming the column, and its neighbours are sent as usual.</summary>
    /// <typeparam name="TRow">The caller's type of row.</typeparam>
    /// <param name="client">The client requests go through; shared by all workers, not disposed by the block.</param>
    /// <param name="options">The block's settings, as for <see cref="Create(IPredictionClient, PredictionBlockOptions)"/>;
    /// its <see cref="PredictionBlockOptions.DataType"/> is not used (a row makes the whole request).</param>
    /// <param name="columns">The model's input columns, in order.</param>
    /// <param name="values">A row's values of <paramref name="columns"/>, in their order; called once per row, in order,
    /// from one thread at a time (the array may be reused). If it throws, the block faults with that exception.</param>
    /// <param name="v2Inputs">Open Inference only: one input per column (the default) or one tensor named by
    /// <see cref="PredictionBlockOptions.InputName"/> (<c>input-0</c> when empty).</param>
    /// <exception cref="InvalidBatchOptionsException">A setting of <paramref name="options"/> is invalid, or the columns
    /// cannot make the model's input (a type no request can carry; a Seldon tensor of text; one V2 tensor of mixed kinds).</exception>
    public static IPropagatorBlock<TRow, RowPrediction<TRow>> CreateForRows<TRow>(
        IPredictionClient client,
        PredictionBlockOptions options,
        IReadOnlyList<RowColumn> columns,
        Func<TRow, object?[]> values,
        V2InputLayout v2Inputs = V2InputLayout.Columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentNullException.ThrowIfNull(values);
        var raw = options is null ? null : options with { DataType = DataType.Raw };
        Check(client, raw!);
        var encoding = EncodingOfRows(client.Protocol, raw!, v2Inputs);
        if (RowLines.Refusal(columns, encoding) is { } refusal)
        {
            throw InvalidBatchOptionsException.About("columns", $": {refusal}");
        }

        var lines = RowLines.Create(columns, encoding);
        var items = new ItemStage<TRow>((row, index) => lines.Line(index, values(row)), raw!.FirstIndex);
        return Linkable<TRow, RowPrediction<TRow>>(client, raw, items.Number, results =>
        {
            // One more stage than Create<TItem>: the row's record read into its prediction columns, in order (one
            // reader, which keeps the names of the answer before: the stage runs one result at a time).
            var reader = new PredictionRecord();
            var predictions = new TransformBlock<PredictionResult<TRow>, RowPrediction<TRow>>(
                result => new RowPrediction<TRow>(result.Item, result.Result, PredictionsOf(reader, result.Result)),
                StageOptions.Sequential(raw.BatchSize * 4, CancellationToken.None));
            items.Attach(results, raw.BatchSize).LinkTo(predictions, StageOptions.Propagate);
            return predictions;
        });
    }

    /// <summary>How a block of <paramref name="options"/> over <paramref name="protocol"/> makes table rows into requests.</summary>
    internal static RowEncoding EncodingOfRows(InferenceProtocol protocol, PredictionBlockOptions options, V2InputLayout v2Inputs) =>
        new(protocol, options.PayloadType, options.InputName, options.InputDatatype, v2Inputs);

    /// <summary>The prediction columns of a row's record (none for an error record).</summary>
    private static KeyValuePair<string, object?>[] PredictionsOf(PredictionRecord reader, InstanceResult result)
    {
        if (result.Failure is not null)
        {
            return [];
        }

        var cells = new List<PredictionCell>();
        reader.Read(Encoding.UTF8.GetBytes(result.Line), cells);
        return [.. cells.Select(c => new KeyValuePair<string, object?>(c.Name, c.Value))];
    }
}
