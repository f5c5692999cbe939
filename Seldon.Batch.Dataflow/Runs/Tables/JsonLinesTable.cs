using System.Runtime.CompilerServices;

namespace Seldon.Batch.Dataflow;

/// <summary>A JSON-lines input seen as a table for a table output: no column, one row per line (counted as the run
/// counts its lines), so that its table holds the prediction columns alone, a row per input line.</summary>
internal sealed class JsonLinesTable : ITableReader
{
    private readonly InputReading _input;

    private JsonLinesTable(InputReading input) => _input = input;

    public IReadOnlyList<TableColumn> Columns => [];

    /// <summary>Opens the whole of <paramref name="input"/> (decoded, for gzip).</summary>
    public static async Task<ITableReader> OpenAsync(InputSource input, InputVersion version, CancellationToken ct) =>
        new JsonLinesTable(await input.OpenAsync(version, 0, null, ct).ConfigureAwait(false));

    public async IAsyncEnumerable<object?[]> ReadAsync(IReadOnlyList<int> columns, long skip, [EnumeratorCancellation] CancellationToken ct)
    {
        if (columns.Count > 0)
        {
            throw new ArgumentOutOfRangeException(nameof(columns), "a JSON-lines input has no columns");
        }

        object?[] row = [];
        long k = 0;
        await foreach (var _ in LineReader.ReadLinesAsync(_input.Decoded, null, atStartOfFile: true, ct).ConfigureAwait(false))
        {
            if (k++ >= skip)
            {
                yield return row;
            }
        }
    }

    public ValueTask DisposeAsync() => _input.DisposeAsync();
}
