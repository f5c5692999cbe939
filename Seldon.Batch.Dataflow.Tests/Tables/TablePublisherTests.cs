using System.Globalization;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Tables;

/// <summary>How a table is written from a run's records: the prediction columns are learned from the first records, then
/// one pass writes every row (the records read once, their first ones twice); a record after those that brings a new
/// column or another type makes the table be written again from every record's columns, as if all had been learned first.</summary>
public sealed class TablePublisherTests : IDisposable
{
    private readonly TableRuns _files = new();
    private readonly ObjectStore _store = new(null);

    public void Dispose()
    {
        _store.Dispose();
        _files.Dispose();
    }

    private static string Prediction(double value) => string.Create(CultureInfo.InvariantCulture, $$$"""{"data":{"names":["t:0"],"ndarray":[[{{{value}}}]]},"meta":{}}""");

    /// <summary>Writes <paramref name="records"/>, publishes the table beside a <see cref="FakeTables.Cities"/> input of as
    /// many rows, and returns it with the bytes of the records read and the input's readings.</summary>
    private async Task<(TextTable Table, long RecordBytesRead, int InputOpened)> PublishAsync(IReadOnlyList<string> records)
    {
        await File.WriteAllLinesAsync(_files.Records, records);
        long read = 0;
        var opened = 0;
        var publication = new TablePublication(
            _ => Task.FromResult<Stream>(new CountingStream(File.OpenRead(_files.Records), n => read += n)),
            StorageLocation.Parse(_files.Records),
            _ =>
            {
                opened++;
                return Task.FromResult<ITableReader>(FakeTables.Cities(records.Count));
            },
            "cities",
            null,
            StorageLocation.Parse(_files.Table),
            TableFormat.Parquet,
            _store,
            null,
            FakeTables.Files());

        Assert.Equal(records.Count, await TablePublisher.PublishAsync(publication, CancellationToken.None));
        return (await FakeTables.ReadAsync(_files.Table), read, opened);
    }

    [Fact]
    public async Task Records_of_the_same_columns_throughout_are_read_once_and_their_first_ones_twice()
    {
        const int Rows = 5 * TablePublisher.LearnAhead;
        var records = Enumerable.Range(0, Rows).Select(i => Prediction(i)).ToArray();

        var (table, read, opened) = await PublishAsync(records);

        Assert.Equal(["id", "city", "t:0", "error"], table.Names);
        Assert.Equal(Rows, table.Rows.Count);
        Assert.Equal(Rows - 1, table[Rows - 1, "t:0"]!.GetValue<double>());
        Assert.Equal(1, opened);
        // Once whole, and the first records again (at most a buffer of them): not twice.
        Assert.InRange(read, new FileInfo(_files.Records).Length, new FileInfo(_files.Records).Length + (1 << 17));
    }

    [Theory]
    [InlineData(3)]
    [InlineData(TablePublisher.LearnAhead + 500)]
    public async Task A_late_record_with_a_new_column_or_type_gives_the_table_every_record_describes(int late)
    {
        var records = Enumerable.Range(0, TablePublisher.LearnAhead * 2).Select(i => Prediction(i)).ToArray();
        records[late] = """{"data":{"names":["t:0","label"],"ndarray":[["high","setosa"]]}}""";
        records[late + 1] = """{"status":{"code":500,"reason":"the model failed","status":1}}""";

        var (table, _, _) = await PublishAsync(records);

        // t:0 held a text once, so it is text throughout; label is new, null where the records lack it.
        Assert.Equal([("id", "Int64"), ("city", "String"), ("t:0", "String"), ("label", "String"), ("error", "String")], table.Columns);
        Assert.Equal(records.Length, table.Rows.Count);
        Assert.Equal("7", table[7, "t:0"]!.GetValue<string>());
        Assert.Null(table[7, "label"]);
        Assert.Equal("high", table[late, "t:0"]!.GetValue<string>());
        Assert.Equal("setosa", table[late, "label"]!.GetValue<string>());
        Assert.Null(table[late + 1, "t:0"]);
        Assert.Equal("the model failed", table[late + 1, "error"]!.GetValue<string>());
        Assert.Equal(late, table[late, "id"]!.GetValue<long>());
        Assert.DoesNotContain("out.parquet.tmp", _files.Files());
    }

    [Fact]
    public async Task Records_more_than_the_input_rows_are_refused_naming_both_counts()
    {
        var records = Enumerable.Range(0, TablePublisher.LearnAhead + 10).Select(i => Prediction(i)).ToArray();
        await File.WriteAllLinesAsync(_files.Records, records);
        var publication = new TablePublication(
            _ => Task.FromResult<Stream>(File.OpenRead(_files.Records)),
            StorageLocation.Parse(_files.Records),
            _ => Task.FromResult<ITableReader>(FakeTables.Cities(100)),
            "cities",
            null,
            StorageLocation.Parse(_files.Table),
            TableFormat.Parquet,
            _store,
            null,
            FakeTables.Files());

        var refused = await Assert.ThrowsAsync<StorageException>(() => TablePublisher.PublishAsync(publication, CancellationToken.None));

        Assert.Contains($"the input cities has 100 rows but {_files.Records} holds {records.Length} records", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("out.parquet", _files.Files());
    }

    /// <summary>A read-only stream that reports the bytes read from it.</summary>
    private sealed class CountingStream(Stream inner, Action<int> counted) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => inner.Length;

        public override long Position { get => inner.Position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await inner.ReadAsync(buffer, cancellationToken));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }

        private int Count(int read)
        {
            counted(read);
            return read;
        }
    }
}
