using System.Text;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Storage;

public sealed class MultipartWriteStreamTests
{
    [Fact]
    public async Task Parts_are_cut_after_a_complete_line_once_they_reach_the_part_size_and_the_rest_is_the_last_part()
    {
        var parts = new List<(string Text, long Lines)>();
        var stream = new MultipartWriteStream(10, 0, (bytes, lines, _) =>
        {
            parts.Add((Encoding.UTF8.GetString(bytes), lines));
            return Task.CompletedTask;
        });

        await stream.WriteAsync(Encoding.UTF8.GetBytes("aaaa\nbbbb\ncc"));
        await stream.WriteAsync(Encoding.UTF8.GetBytes("\nd\n"));
        var last = await stream.FinishAsync();

        Assert.Equal([("aaaa\nbbbb\n", 2L)], parts);
        Assert.Equal("cc\nd\n", Encoding.UTF8.GetString(last));
    }

    [Fact]
    public void Part_size_grows_so_that_ten_thousand_parts_hold_terabytes()
    {
        long total = 0;
        for (var part = 0; part < 10_000; part++)
        {
            total += MultipartWriteStream.PartSize(ObjectStore.DefaultPartBytes, part);
        }

        Assert.Equal(ObjectStore.DefaultPartBytes, MultipartWriteStream.PartSize(ObjectStore.DefaultPartBytes, 999));
        Assert.Equal(2 * ObjectStore.DefaultPartBytes, MultipartWriteStream.PartSize(ObjectStore.DefaultPartBytes, 1000));
        Assert.Equal(1 << 30, MultipartWriteStream.PartSize(ObjectStore.DefaultPartBytes, 9_999));
        Assert.True(total > 4_000_000_000_000, $"10,000 parts hold only {total} bytes");
    }
}
