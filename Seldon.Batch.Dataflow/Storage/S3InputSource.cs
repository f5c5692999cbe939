using Amazon.S3.Model;

namespace Seldon.Batch.Dataflow;

/// <summary>An input object, read by ranged GETs that each require the ETag the run started with: an object
/// replaced mid-run fails the next GET instead of mixing two versions into one output.</summary>
internal sealed class S3InputSource(StorageLocation location, InputCompression compression, ObjectStore store) : InputSource(location, compression)
{
    public override async Task<InputVersion> DescribeAsync(CancellationToken ct)
    {
        try
        {
            var head = await store.Client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = Location.Bucket, Key = Location.Key }, ct).ConfigureAwait(false);
            return new InputVersion(head.ContentLength, head.ETag);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw ObjectStore.Explain(ex, Location, "reading the input's metadata");
        }
    }

    protected override Task<Stream> OpenSeekableStoredAsync(InputVersion version, CancellationToken ct) =>
        Task.FromResult<Stream>(new ObjectRangeStream(store, Location, version));

    protected override Task<Stream> OpenStoredAsync(InputVersion version, long start, CancellationToken ct) =>
        Task.FromResult<Stream>(new ObjectReadStream(store, Location, version, start));

    /// <summary>The object's bytes from a start offset, one ranged GET after another.</summary>
    private sealed class ObjectReadStream(ObjectStore store, StorageLocation location, InputVersion version, long position) : ReadOnlyStream
    {
        private GetObjectResponse? _response;
        private long _chunkEnd;

        public override long Length => version.Length;

        public override long Position { get => position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) =>
            ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            while (position < version.Length)
            {
                if (_response is null)
                {
                    await NextChunkAsync(cancellationToken).ConfigureAwait(false);
                }

                var n = await _response!.ResponseStream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (n > 0)
                {
                    position += n;
                    return n;
                }

                if (position < _chunkEnd)
                {
                    throw StorageException.Failure($"{location}: the connection ended at byte {position}, before the end of the range it asked for");
                }

                _response.Dispose();
                _response = null;
            }

            return 0;
        }

        private async Task NextChunkAsync(CancellationToken ct)
        {
            _chunkEnd = Math.Min(version.Length, position + store.ReadChunkBytes);
            try
            {
                _response = await store.Client.GetObjectAsync(
                    new GetObjectRequest { BucketName = location.Bucket, Key = location.Key, ByteRange = new ByteRange(position, _chunkEnd - 1), EtagToMatch = version.Tag },
                    ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ObjectStore.IsPreconditionFailed(ex))
            {
                throw StorageException.Failure(
                    $"{location} changed while it was read (its ETag is no longer {version.Tag}): the output would mix two versions of the input; run again on the new version", ex);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                throw ObjectStore.Explain(ex, location, "reading the input");
            }
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _response?.Dispose();
                _response = null;
            }

            base.Dispose(disposing);
        }
    }
}
