namespace Seldon.Batch.Dataflow;

/// <summary>The standard output (<c>-o -</c>): the lines go out as they are written, in order, flushed after each
/// chunk so that a reader downstream (<c>| jq</c>, <c>| head</c>) sees them as they come. There is no partial form, no
/// record and nothing to publish: what was written is out. A reader that closed it (a broken pipe) fails the next write
/// with <see cref="OutputClosedException"/>.</summary>
internal sealed class StreamOutputTarget(StorageLocation location, Func<Stream> open) : OutputTarget(location)
{
    public override string PartialName => "the standard output (-)";

    public override bool FlushesEachWrite => true;

    public override bool PartialHoldsNothing => false;

    public override Task CheckAsync(CancellationToken ct) => Task.CompletedTask;

    public override Task<bool> ExistsAsync(CancellationToken ct) => Task.FromResult(false);

    public override Task<bool> HasPartialAsync(CancellationToken ct) => Task.FromResult(false);

    public override Task<long?> DiscardPartialAsync(Func<Stream, CancellationToken, Task<long>>? countLines, CancellationToken ct) =>
        Task.FromResult<long?>(null);

    public override Task<WrittenPrefix> ResumeAsync(Func<Stream, CancellationToken, Task<WrittenPrefix>> inspect, CancellationToken ct) =>
        throw new InvalidOperationException("a stream output is never resumed (the options refuse it)");

    public override Task<Stream> OpenAsync(
        WrittenPrefix start, string batchId, Func<ReadOnlyMemory<byte>, IReadOnlyDictionary<string, long>>? failuresIn, CancellationToken ct) =>
        start.Lines == 0
            ? Task.FromResult<Stream>(new ClosedPipeStream(open()))
            : throw new InvalidOperationException("a stream output is never resumed (the options refuse it)");

    public override Task PublishAsync(bool exclusive, CancellationToken ct) => Task.CompletedTask;

    /// <summary>The standard output, whose closed pipe (EPIPE) is told apart from any other failure of a write.</summary>
    private sealed class ClosedPipeStream(Stream inner) : Stream
    {
        /// <summary>EPIPE on Linux and macOS: .NET gives the errno as an <see cref="IOException"/>'s HResult.</summary>
        private const int BrokenPipe = 32;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            try
            {
                inner.Write(buffer);
            }
            catch (IOException ex) when (ex.HResult == BrokenPipe)
            {
                throw new OutputClosedException(ex);
            }
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            try
            {
                await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            }
            catch (IOException ex) when (ex.HResult == BrokenPipe)
            {
                throw new OutputClosedException(ex);
            }
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
            try
            {
                inner.Flush();
            }
            catch (IOException ex) when (ex.HResult == BrokenPipe)
            {
                throw new OutputClosedException(ex);
            }
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
