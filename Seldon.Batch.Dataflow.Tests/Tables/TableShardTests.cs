using FsCheck;
using FsCheck.Fluent;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Tables;

/// <summary>A Parquet table is cut into shards by rows: ranges that join into the whole table, each starting on a multiple
/// of the batch size (so micro-batch k holds rows [k·s, (k+1)·s) in every shard, as in one run), as even as that allows.</summary>
public sealed class TableShardTests
{
    [Fact]
    public void Rows_are_cut_at_the_first_micro_batch_start_after_each_even_cut_point()
    {
        Assert.Equal(
            [new ShardRange(0, 256, 0, 256), new ShardRange(256, 512, 256, 256), new ShardRange(512, 768, 512, 256), new ShardRange(768, 1000, 768, 232)],
            TableInput.CutRows(1000, 4, 32));
        Assert.Equal(
            [new ShardRange(0, 3, 0, 3), new ShardRange(3, 7, 3, 4)],
            TableInput.CutRows(7, 2, 1));
    }

    [Fact]
    public void Shards_past_the_last_row_are_empty()
    {
        Assert.Equal(
            [new ShardRange(0, 10, 0, 10), new ShardRange(10, 10, 10, 0), new ShardRange(10, 10, 10, 0)],
            TableInput.CutRows(10, 3, 32));
        Assert.Equal([new ShardRange(0, 0, 0, 0), new ShardRange(0, 0, 0, 0)], TableInput.CutRows(0, 2, 4));
    }

    [FsCheck.Xunit.Property(MaxTest = 500)]
    public Property Ranges_join_into_the_table_and_start_on_micro_batches() => Prop.ForAll(
        Gen.Choose(0, 5000).Select(r => (long)r).ToArbitrary(), Gen.Choose(1, 9).ToArbitrary(), Gen.Choose(1, 64).ToArbitrary(), (rows, count, batchSize) =>
        {
            var ranges = TableInput.CutRows(rows, count, batchSize);

            Assert.Equal(count, ranges.Count);
            Assert.Equal(0, ranges[0].Start);
            Assert.Equal(rows, ranges[^1].End);
            for (var k = 0; k < count; k++)
            {
                var range = ranges[k];
                Assert.Equal(range.Start, range.FirstLine);
                Assert.Equal(range.End - range.Start, range.Lines);
                Assert.True(range.Lines >= 0);
                Assert.True(range.Start % batchSize == 0 || range.Start == rows, $"range {k} starts at {range.Start}");
                if (k > 0)
                {
                    Assert.Equal(ranges[k - 1].End, range.Start);
                }

                // As even as whole micro-batches allow: a shard starts less than one micro-batch after its even cut point.
                var even = rows * k / count;
                Assert.True(range.Start >= even && range.Start < even + batchSize || range.Start == rows, $"range {k} starts at {range.Start}, its even point is {even}");
            }
        });
}
