using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Storage;

/// <summary>The standard input as a run's input: read once, with what a table's description read first kept for the
/// run's own reading, and a clear refusal of anything else read twice.</summary>
public sealed class StreamInputSourceTests
{
    [Fact]
    public async Task A_replayable_stream_gives_its_first_bytes_again_then_the_rest()
    {
        var bytes = Enumerable.Range(0, 300_000).Select(i => (byte)i).ToArray();
        var source = Source(bytes, replayable: true);
        var version = await source.DescribeAsync(CancellationToken.None);

        await using (var first = await source.OpenAsync(version))
        {
            Assert.Equal(bytes[..100_000], await ReadAsync(first.Decoded, 100_000));
        }

        await using var second = await source.OpenAsync(version);
        Assert.Equal(bytes, await ReadAsync(second.Decoded, int.MaxValue));
    }

    [Fact]
    public async Task A_stream_read_past_what_is_kept_cannot_be_opened_again()
    {
        var source = Source(new byte[StreamInputSource.ReplayLimit + (1 << 20)], replayable: true);
        var version = await source.DescribeAsync(CancellationToken.None);
        await using (var first = await source.OpenAsync(version))
        {
            await ReadAsync(first.Decoded, int.MaxValue);
        }

        var refused = await Assert.ThrowsAsync<StorageException>(() => source.OpenAsync(version));
        Assert.True(refused.IsSettingsProblem);
        Assert.Contains("only its first 16 MiB are kept", refused.Message);
    }

    [Fact]
    public async Task A_json_lines_stream_is_read_once()
    {
        var source = Source("[[1]]\n[[2]]\n"u8.ToArray(), replayable: false);
        var version = await source.DescribeAsync(CancellationToken.None);
        await using (var first = await source.OpenAsync(version))
        {
            await ReadAsync(first.Decoded, 3);
        }

        var refused = await Assert.ThrowsAsync<StorageException>(() => source.OpenAsync(version));
        Assert.Contains("the standard input (-) is read once", refused.Message);
        await Assert.ThrowsAsync<StorageException>(() => source.OpenSeekableAsync(version, CancellationToken.None));
    }

    private static InputSource Source(byte[] bytes, bool replayable) => InputSource.Create(
        StorageLocation.Parse("-"), InputCompression.Auto, null!, new StandardStreams(() => new TrickleStream(bytes), () => Stream.Null), replayable);

    private static async Task<byte[]> ReadAsync(Stream stream, int count)
    {
        var read = new MemoryStream();
        var buffer = new byte[7_919];
        while (read.Length < count && await stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, count - read.Length))) is var n and > 0)
        {
            read.Write(buffer, 0, n);
        }

        return read.ToArray();
    }

    /// <summary>A pipe's way of giving bytes: a few at a time, never more than asked.</summary>
    private sealed class TrickleStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, 4_096)], cancellationToken);
    }
}
