using Amazon.S3.Model;

namespace Seldon.Batch.Dataflow;

/// <summary>An output object, written as a multipart upload that S3 shows as the object only when it is completed.
/// After every part a checkpoint object <c>&lt;key&gt;.upload.json</c> records the upload id and the parts (ETag,
/// lines, bytes), so a resumed run continues the same upload after its last complete part.</summary>
internal sealed class S3OutputTarget(StorageLocation location, ObjectStore store) : OutputTarget(location)
{
    private readonly StorageLocation _checkpoint = location.Append(".upload.json");
    private UploadCheckpoint? _state;
    private MultipartWriteStream? _writer;
    private Func<ReadOnlyMemory<byte>, IReadOnlyDictionary<string, long>>? _failuresIn;

    public override string PartialName => $"the multipart upload recorded in {_checkpoint}";

    public override async Task CheckAsync(CancellationToken ct)
    {
        try
        {
            await store.Client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = Location.Bucket, Prefix = Location.Key, MaxKeys = 1 }, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw ObjectStore.Explain(ex, Location, "listing the output's bucket");
        }
    }

    public override bool PartialHoldsNothing => _state is null || _state.Parts.Count == 0;

    public override Task<bool> ExistsAsync(CancellationToken ct) => S3Objects.ExistsAsync(store, Location, ct);

    public override Task<bool> HasPartialAsync(CancellationToken ct) => S3Objects.ExistsAsync(store, _checkpoint, ct);

    public override async Task<long?> DiscardPartialAsync(Func<Stream, CancellationToken, Task<long>>? countLines, CancellationToken ct)
    {
        if (await S3Objects.ReadAllAsync(store, _checkpoint, ct).ConfigureAwait(false) is not { } bytes)
        {
            return null;
        }

        long lines = 0;
        try
        {
            var old = UploadCheckpoint.Parse(bytes);
            lines = old.Lines;
            await store.Client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = Location.Bucket, Key = Location.Key, UploadId = old.UploadId }, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Already aborted or completed, or the checkpoint is damaged: either way a new upload starts.
        }

        await S3Objects.DeleteAsync(store, _checkpoint, ct).ConfigureAwait(false);
        return lines;
    }

    public override async Task<WrittenPrefix> ResumeAsync(Func<Stream, CancellationToken, Task<WrittenPrefix>> inspect, CancellationToken ct)
    {
        var bytes = await S3Objects.ReadAllAsync(store, _checkpoint, ct).ConfigureAwait(false)
            ?? throw StorageException.Failure($"{_checkpoint} disappeared while the run started");
        try
        {
            _state = UploadCheckpoint.Parse(bytes);
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw StorageException.Settings($"{_checkpoint} is not an upload checkpoint ({ex.Message})", ex);
        }

        try
        {
            // The upload may have been aborted meanwhile (a bucket lifecycle rule): better to know before the run than at its end.
            await store.Client.ListPartsAsync(new ListPartsRequest { BucketName = Location.Bucket, Key = Location.Key, UploadId = _state.UploadId, MaxParts = 1 }, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw StorageException.Settings(
                $"the upload {_state.UploadId} recorded in {_checkpoint} cannot be continued ({ex.Message})", ex);
        }

        return new WrittenPrefix(_state.Lines, _state.BatchId, _state.Bytes, [], _state.FailuresByKind);
    }

    public override async Task<Stream> OpenAsync(
        WrittenPrefix start, string batchId, Func<ReadOnlyMemory<byte>, IReadOnlyDictionary<string, long>>? failuresIn, CancellationToken ct)
    {
        _failuresIn = failuresIn;
        if (_state is null || start.Lines == 0 && _state.Parts.Count > 0)
        {
            var upload = await Call(() => store.Client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = Location.Bucket, Key = Location.Key }, ct), "starting the upload")
                .ConfigureAwait(false);
            _state = new UploadCheckpoint(upload.UploadId, batchId, []);
            await SaveCheckpointAsync(ct).ConfigureAwait(false);
        }
        else if (_state.BatchId != batchId && _state.Parts.Count == 0)
        {
            // An upload without a part taken over by a run of another batch: its checkpoint says whose lines follow.
            _state = _state with { BatchId = batchId };
            await SaveCheckpointAsync(ct).ConfigureAwait(false);
        }

        _writer = new MultipartWriteStream(store.PartBytes, _state.Parts.Count, UploadPartAsync);
        return _writer;
    }

    private async Task UploadPartAsync(byte[] bytes, long lines, CancellationToken ct)
    {
        // A run whose lease was lost (or ran out unrenewed) must not add to an upload another run may now own.
        Lock?.ThrowIfLost();
        var number = _state!.Parts.Count + 1;
        using var body = new MemoryStream(bytes, writable: false);
        var response = await Call(
            () => store.Client.UploadPartAsync(
                new UploadPartRequest
                {
                    BucketName = Location.Bucket,
                    Key = Location.Key,
                    UploadId = _state.UploadId,
                    PartNumber = number,
                    InputStream = body,
                    PartSize = bytes.Length,
                    UseChunkEncoding = !store.IsCustomEndpoint,
                },
                ct),
            $"uploading part {number}").ConfigureAwait(false);
        _state = _state.With(new UploadedPart(number, response.ETag, lines, bytes.Length, _failuresIn?.Invoke(bytes) ?? new Dictionary<string, long>()));
        await SaveCheckpointAsync(ct).ConfigureAwait(false);
    }

    public override async Task PublishAsync(bool exclusive, CancellationToken ct)
    {
        var last = await _writer!.FinishAsync().ConfigureAwait(false);
        if (_state!.Parts.Count == 0 && last.Length == 0)
        {
            // S3 completes no upload without parts: an empty output is an empty object.
            await store.Client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = Location.Bucket, Key = Location.Key, UploadId = _state.UploadId }, ct).ConfigureAwait(false);
            await Conditional(
                () => store.Client.PutObjectAsync(
                    new PutObjectRequest { BucketName = Location.Bucket, Key = Location.Key, InputStream = new MemoryStream(), IfNoneMatch = exclusive ? "*" : null, UseChunkEncoding = !store.IsCustomEndpoint },
                    ct)).ConfigureAwait(false);
        }
        else
        {
            if (last.Length > 0)
            {
                await UploadPartAsync(last, last.AsSpan().Count((byte)'\n'), ct).ConfigureAwait(false);
            }

            await Conditional(
                () => store.Client.CompleteMultipartUploadAsync(
                    new CompleteMultipartUploadRequest
                    {
                        BucketName = Location.Bucket,
                        Key = Location.Key,
                        UploadId = _state.UploadId,
                        PartETags = [.. _state.Parts.Select(p => new PartETag(p.Number, p.ETag))],
                        IfNoneMatch = exclusive ? "*" : null,
                    },
                    ct)).ConfigureAwait(false);
        }

        await S3Objects.DeleteAsync(store, _checkpoint, ct).ConfigureAwait(false);

        async Task Conditional(Func<Task> publish)
        {
            try
            {
                await Call(publish, "completing the upload").ConfigureAwait(false);
            }
            catch (StorageException ex) when (ex.InnerException is { } inner && ObjectStore.IsPreconditionFailed(inner))
            {
                throw StorageException.Failure($"{Location} was already published by another run; this run's upload is left to abort", ex);
            }
        }
    }

    private Task SaveCheckpointAsync(CancellationToken ct)
    {
        Lock?.ThrowIfLost();
        return S3Objects.WriteAsync(store, _checkpoint, _state!.ToJson(), ifNoneMatch: false, ct);
    }

    private Task<T> Call<T>(Func<Task<T>> request, string doing) => S3Objects.CallAsync(request, Location, doing);

    private Task Call(Func<Task> request, string doing) => S3Objects.CallAsync(async () => { await request().ConfigureAwait(false); return true; }, Location, doing);
}
