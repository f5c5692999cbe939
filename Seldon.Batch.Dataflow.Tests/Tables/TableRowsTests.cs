using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Tables;

/// <summary>A range of a table opened for the run: rows become lines numbered by their place in the whole table, skipped
/// rows are not handed out, and the share of the work is the rows written of the range's rows when they are known.</summary>
public sealed class TableRowsTests
{
    private static readonly TableColumn[] Columns = [new("a", typeof(long)), new("b", typeof(double))];

    private static MemoryTable Table(int rows) => new(Columns, [.. Enumerable.Range(0, rows).Select(r => new object?[] { (long)r, r / 2.0 })]);

    [Fact]
    public async Task Rows_after_the_skipped_ones_are_lines_numbered_from_the_ranges_first_row()
    {
        var table = Table(10);
        var lines = new List<InputLine>();
        await using (var rows = TableRows.OfRows(table, [1, 0], 10, table))
        {
            await foreach (var line in rows.LinesAsync(RowLinesTests.Seldon([new RowColumn("b", typeof(double)), new RowColumn("a", typeof(long))]), first: 1000, skip: 6, CancellationToken.None))
            {
                lines.Add(line);
            }
        }

        Assert.Equal([1006L, 1007, 1008, 1009], lines.Select(l => l.Index));
        Assert.Equal("""{"data":{"names":["b","a"],"ndarray":[[3.0,6]]}}""", RowLinesTests.SeldonBody(lines[0]));
        Assert.Equal(4, table.RowsRead);
        Assert.True(table.Disposed);
    }

    [Fact]
    public async Task The_share_of_a_range_of_known_rows_is_the_rows_written_of_them()
    {
        var table = Table(8);
        await using var rows = TableRows.OfRows(table, [0, 1], 8, table);

        Assert.Equal(0, rows.ShareOf(0));
        Assert.Equal(0.25, rows.ShareOf(2));
        Assert.Equal(1, rows.ShareOf(8));
        await using var empty = TableRows.OfRows(Table(0), [0], 0, Table(0));
        Assert.Equal(1, empty.ShareOf(0));
    }
}
