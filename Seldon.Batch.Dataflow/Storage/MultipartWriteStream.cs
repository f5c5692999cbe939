namespace Seldon.Batch.Dataflow;

/// <summary>A write-only stream that gathers bytes into parts cut after a newline once they reach the part size,
/// and hands each part to an uploader while the next one fills (one upload in flight; a slow store slows the writer).
/// What is left when the stream ends is the final part, uploaded only by <see cref="FinishAsync"/>: an interrupted
/// run keeps its uploaded parts and loses at most the one it was filling.</summary>
/// <param name="partBytes">Size of the first parts.</param>
/// <param name="partsSoFar">Parts already uploaded (a resumed upload).</param>
/// <param name="uploadPart">Uploads one part: its bytes and the lines they hold.</param>
/// <param name="wholeLines">Whether parts end after a newline (lines, whose parts a resumed run keeps); false for bytes
/// that are not lines (a table), cut at the part size exactly.</param>
internal sealed class MultipartWriteStream(int partBytes, int partsSoFar, Func<byte[], long, CancellationToken, Task> uploadPart, bool wholeLines = true) : Stream
{
    /// <summary>Parts after which the part size doubles: S3 takes at most 10,000 parts, which at a fixed 8 MiB would
    /// end outputs at 80 GB; doubling every 1,000 parts up to 1 GiB (a part is held in memory) takes them to about 4 TB.</summary>
    internal const int PartsPerSize = 1000;

    private const long MaxPartBytes = 1L << 30;

    private int _parts = partsSoFar;

    // Sized for a part and a writer's buffer beyond it, so it never doubles past what a part needs.
    private MemoryStream _filling = new(PartSize(partBytes, partsSoFar) + (1 << 17));

    /// <summary>The size of the next part once <paramref name="parts"/> parts are uploaded.</summary>
    internal static int PartSize(int firstPartBytes, int parts) => (int)Math.Min((long)firstPartBytes << Math.Min(parts / PartsPerSize, 16), MaxPartBytes);

    private Task _upload = Task.CompletedTask;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ThrowIfUploadFailed();
        _filling.Write(buffer);
        if (_filling.Length >= PartSize(partBytes, _parts))
        {
            CutPartAsync().GetAwaiter().GetResult();
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ThrowIfUploadFailed();
        _filling.Write(buffer.Span);
        if (_filling.Length >= PartSize(partBytes, _parts))
        {
            await CutPartAsync().ConfigureAwait(false);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Starts uploading the complete lines gathered so far, once the previous upload is done.</summary>
    private async Task CutPartAsync()
    {
        var bytes = _filling.GetBuffer().AsMemory(0, (int)_filling.Length);
        var end = wholeLines ? bytes.Span.LastIndexOf((byte)'\n') + 1 : bytes.Length;
        if (end == 0)
        {
            return;
        }

        var part = bytes[..end].ToArray();
        var lines = wholeLines ? part.AsSpan().Count((byte)'\n') : 0;
        _parts++;
        var rest = new MemoryStream(PartSize(partBytes, _parts) + (1 << 17));
        rest.Write(bytes.Span[end..]);
        _filling = rest;
        await _upload.ConfigureAwait(false);

        _upload = uploadPart(part, lines, CancellationToken.None);
    }

    /// <summary>Waits for the part in flight and returns the rest: the last part, for the caller to upload.</summary>
    public async Task<byte[]> FinishAsync()
    {
        await _upload.ConfigureAwait(false);
        return _filling.ToArray();
    }

    /// <summary>Waits for the part in flight, so a stopped run's checkpoint covers every part it uploaded; its
    /// failure was reported to the writer already, or is by <see cref="FinishAsync"/>.</summary>
    public override async ValueTask DisposeAsync()
    {
        await WaitQuietlyAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            WaitQuietlyAsync().GetAwaiter().GetResult();
        }

        base.Dispose(disposing);
    }

    private async Task WaitQuietlyAsync()
    {
        try
        {
            await _upload.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Reported to the writer already, or by FinishAsync.
        }
    }

    private void ThrowIfUploadFailed()
    {
        if (_upload.IsFaulted)
        {
            _upload.GetAwaiter().GetResult();
        }
    }

    public override void Flush() => ThrowIfUploadFailed();

    public override Task FlushAsync(CancellationToken cancellationToken)
    {
        // Parts are cut by size, not by time: a flush only reports an upload that failed.
        ThrowIfUploadFailed();
        return Task.CompletedTask;
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
