using Amazon.S3.Model;

namespace Seldon.Batch.Dataflow;

/// <summary>A file or object written whole or not at all: the bytes go to a temporary file next to it (renamed over it
/// by <see cref="CommitAsync"/>) or to a multipart upload (completed by it). Disposed without a commit, it leaves
/// nothing: the temporary file is deleted, the upload aborted, and what was at the location before is still there.</summary>
internal abstract class StagedOutput : IAsyncDisposable
{
    private bool _committed;

    protected StagedOutput(StorageLocation location) => Location = location;

    /// <summary>Where the bytes go once committed.</summary>
    public StorageLocation Location { get; }

    /// <summary>The forward-only stream to write the bytes to.</summary>
    public abstract Stream Stream { get; }

    /// <summary>Starts writing <paramref name="location"/>. <paramref name="held"/>, when given, is checked before every
    /// part of an upload and before the commit: a run that lost its hold must not publish.</summary>
    public static async Task<StagedOutput> OpenAsync(StorageLocation location, ObjectStore store, OutputLock? held, CancellationToken ct)
    {
        if (!location.IsObject)
        {
            return new LocalStagedOutput(location);
        }

        var upload = await S3Objects.CallAsync(
            () => store.Client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = location.Bucket, Key = location.Key }, ct), location, "starting the upload")
            .ConfigureAwait(false);
        return new ObjectStagedOutput(location, store, held, upload.UploadId);
    }

    /// <summary>Puts the bytes written in place, replacing what was there.</summary>
    public async Task CommitAsync(CancellationToken ct)
    {
        await PublishAsync(ct).ConfigureAwait(false);
        _committed = true;
    }

    protected abstract Task PublishAsync(CancellationToken ct);

    /// <summary>Drops what was written (nothing is left of it) unless it was committed.</summary>
    protected abstract Task AbandonAsync();

    public async ValueTask DisposeAsync()
    {
        if (!_committed)
        {
            await AbandonAsync().ConfigureAwait(false);
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>A temporary file <c>&lt;path&gt;.tmp</c> in the same folder, renamed over the path (one writer at a time:
    /// the run holds the output).</summary>
    private sealed class LocalStagedOutput : StagedOutput
    {
        private readonly string _temporary;
        private readonly FileStream _file;

        public LocalStagedOutput(StorageLocation location)
            : base(location)
        {
            _temporary = location.Path + ".tmp";
            _file = new FileStream(_temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
        }

        public override Stream Stream => _file;

        protected override async Task PublishAsync(CancellationToken ct)
        {
            await _file.FlushAsync(ct).ConfigureAwait(false);
            await _file.DisposeAsync().ConfigureAwait(false);
            File.Move(_temporary, Location.Path!, overwrite: true);
        }

        protected override async Task AbandonAsync()
        {
            try
            {
                await _file.DisposeAsync().ConfigureAwait(false);
            }
            catch (IOException)
            {
                // The disk that failed the writing may fail the last flush too: the file is deleted all the same.
            }

            File.Delete(_temporary);
        }
    }

    /// <summary>A multipart upload of the object, in parts of the store's part size, completed by the commit.</summary>
    private sealed class ObjectStagedOutput : StagedOutput
    {
        private readonly ObjectStore _store;
        private readonly OutputLock? _held;
        private readonly string _uploadId;
        private readonly MultipartWriteStream _writer;
        private readonly List<PartETag> _parts = [];

        public ObjectStagedOutput(StorageLocation location, ObjectStore store, OutputLock? held, string uploadId)
            : base(location)
        {
            _store = store;
            _held = held;
            _uploadId = uploadId;
            _writer = new MultipartWriteStream(store.PartBytes, 0, UploadPartAsync, wholeLines: false);
        }

        public override Stream Stream => _writer;

        private async Task UploadPartAsync(byte[] bytes, long lines, CancellationToken ct)
        {
            _held?.ThrowIfLost();
            var number = _parts.Count + 1;
            using var body = new MemoryStream(bytes, writable: false);
            var response = await S3Objects.CallAsync(
                () => _store.Client.UploadPartAsync(
                    new UploadPartRequest
                    {
                        BucketName = Location.Bucket,
                        Key = Location.Key,
                        UploadId = _uploadId,
                        PartNumber = number,
                        InputStream = body,
                        PartSize = bytes.Length,
                        UseChunkEncoding = !_store.IsCustomEndpoint,
                    },
                    ct),
                Location,
                $"uploading part {number}").ConfigureAwait(false);
            _parts.Add(new PartETag(number, response.ETag));
        }

        protected override async Task PublishAsync(CancellationToken ct)
        {
            var last = await _writer.FinishAsync().ConfigureAwait(false);
            _held?.ThrowIfLost();
            if (_parts.Count == 0)
            {
                // Smaller than a part: one PUT (S3 completes no upload without parts), and the upload is dropped.
                await S3Objects.WriteAsync(_store, Location, last, ifNoneMatch: false, ct).ConfigureAwait(false);
                await AbortQuietlyAsync().ConfigureAwait(false);
                return;
            }

            if (last.Length > 0)
            {
                await UploadPartAsync(last, 0, ct).ConfigureAwait(false);
            }

            await S3Objects.CallAsync(
                () => _store.Client.CompleteMultipartUploadAsync(
                    new CompleteMultipartUploadRequest { BucketName = Location.Bucket, Key = Location.Key, UploadId = _uploadId, PartETags = _parts },
                    ct),
                Location,
                "completing the upload").ConfigureAwait(false);
        }

        protected override async Task AbandonAsync()
        {
            await _writer.DisposeAsync().ConfigureAwait(false);
            await AbortQuietlyAsync().ConfigureAwait(false);
        }

        private async Task AbortQuietlyAsync()
        {
            try
            {
                await _store.Client.AbortMultipartUploadAsync(
                    new AbortMultipartUploadRequest { BucketName = Location.Bucket, Key = Location.Key, UploadId = _uploadId }, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // A store that failed the upload may fail its abort too: an unfinished upload is never an object, and a
                // bucket's lifecycle rule (or the next run's upload) leaves it behind.
            }
        }
    }
}
