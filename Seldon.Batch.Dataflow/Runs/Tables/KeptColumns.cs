namespace Seldon.Batch.Dataflow;

/// <summary>The input columns a table output copies ahead of its prediction columns (<see cref="BatchOptions.KeepColumns"/>),
/// and the rule that keeps every column's name unique: a kept column may not be named like a prediction column or
/// <see cref="Error"/>. Refusals name <see cref="BatchOptions.KeepColumns"/>, since leaving a column out of it is the fix.</summary>
internal static class KeptColumns
{
    /// <summary>The column of a table output that holds a failed row's reason (null on predicted rows).</summary>
    public const string Error = "error";

    private const string Property = nameof(BatchOptions.KeepColumns);

    /// <summary>The indexes (into <paramref name="input"/>) of the columns kept: every input column when
    /// <paramref name="keep"/> is null, else those it names, in its order.</summary>
    /// <exception cref="InvalidBatchOptionsException">A column named is not in the input, is named twice, or is named
    /// <see cref="Error"/>.</exception>
    public static int[] Resolve(IReadOnlyList<TableColumn> input, IReadOnlyList<string>? keep, string inputName)
    {
        if (keep is null)
        {
            if (input.Any(c => c.Name == Error))
            {
                throw InvalidBatchOptionsException.About([Property], name =>
                    $"the input {inputName} has a column named '{Error}', which a table output keeps for the failures' reasons, and every input column is kept ({name(Property)} not given): give {name(Property)} without it");
            }

            return [.. Enumerable.Range(0, input.Count)];
        }

        var indexes = new int[keep.Count];
        for (var k = 0; k < keep.Count; k++)
        {
            var wanted = keep[k];
            if (wanted == Error)
            {
                throw InvalidBatchOptionsException.About([Property], name =>
                    $"{name(Property)} keeps the input column '{Error}', but a table output keeps that name for the failures' reasons: leave it out of {name(Property)}");
            }

            if (keep.Take(k).Contains(wanted, StringComparer.Ordinal))
            {
                throw InvalidBatchOptionsException.About([Property], name => $"{name(Property)} names the column '{wanted}' twice");
            }

            indexes[k] = input.Count == 0 ? -1 : IndexOf(input, wanted);
            if (indexes[k] < 0)
            {
                throw InvalidBatchOptionsException.About([Property], name => input.Count == 0
                    ? $"{name(Property)} names the column '{wanted}', but the input {inputName} is JSON lines, which has no columns: give no {name(Property)}"
                    : $"{name(Property)} names the column '{wanted}', which the input {inputName} does not have (its columns: {string.Join(", ", input.Select(c => c.Name))})");
            }
        }

        return indexes;
    }

    /// <summary>Refuses prediction columns that clash: one named like a kept column (a refusal naming
    /// <see cref="BatchOptions.KeepColumns"/>), or named <see cref="Error"/> (naming <see cref="BatchOptions.OutputFormat"/>:
    /// such answers cannot be a table with an error column).</summary>
    /// <param name="kept">The kept columns' names.</param>
    /// <param name="predictions">The prediction columns' names.</param>
    /// <param name="keepGiven">Whether <see cref="BatchOptions.KeepColumns"/> was given (else every input column is kept).</param>
    /// <param name="source">Where the prediction names were found, for the message ("the model's metadata").</param>
    /// <exception cref="InvalidBatchOptionsException">A name clashes.</exception>
    public static void CheckClash(IReadOnlyList<string> kept, IEnumerable<string> predictions, bool keepGiven, string source)
    {
        foreach (var prediction in predictions)
        {
            if (prediction == Error)
            {
                throw InvalidBatchOptionsException.About([nameof(BatchOptions.OutputFormat)], name =>
                    $"{source} name a prediction column '{Error}', which a table output keeps for the failures' reasons: write JSON lines ({name(nameof(BatchOptions.OutputFormat))} jsonl) instead");
            }

            if (kept.Contains(prediction, StringComparer.Ordinal))
            {
                throw InvalidBatchOptionsException.About([Property], name => keepGiven
                    ? $"{name(Property)} keeps the input column '{prediction}', but {source} name a prediction column so: leave it out of {name(Property)}"
                    : $"the input column '{prediction}' is kept (every input column is, {name(Property)} not given), but {source} name a prediction column so: give {name(Property)} without it");
            }
        }
    }

    private static int IndexOf(IReadOnlyList<TableColumn> columns, string name)
    {
        for (var i = 0; i < columns.Count; i++)
        {
            if (columns[i].Name == name)
            {
                return i;
            }
        }

        return -1;
    }
}
