using System.Net;
using Amazon.S3;
using Amazon.S3.Model;

namespace Seldon.Batch.Dataflow;

/// <summary>The few whole-object operations the runs need (small objects: checkpoints, plans, summaries), with the
/// SDK's failures turned into messages about the object.</summary>
internal static class S3Objects
{
    public static async Task<T> CallAsync<T>(Func<Task<T>> request, StorageLocation location, string doing)
    {
        try
        {
            return await request().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not StorageException)
        {
            throw ObjectStore.Explain(ex, location, doing);
        }
    }

    public static async Task<bool> ExistsAsync(ObjectStore store, StorageLocation location, CancellationToken ct)
    {
        try
        {
            await store.Client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = location.Bucket, Key = location.Key }, ct).ConfigureAwait(false);
            return true;
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound && ex.ErrorCode != "NoSuchBucket")
        {
            return false;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw ObjectStore.Explain(ex, location, "looking for the object");
        }
    }

    /// <summary>When the object was last written (UTC), or null when there is no such object.</summary>
    public static async Task<DateTime?> LastModifiedAsync(ObjectStore store, StorageLocation location, CancellationToken ct)
    {
        try
        {
            var head = await store.Client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = location.Bucket, Key = location.Key }, ct).ConfigureAwait(false);
            DateTime? written = head.LastModified;
            return written?.ToUniversalTime();
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound && ex.ErrorCode != "NoSuchBucket")
        {
            return null;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw ObjectStore.Explain(ex, location, "looking for the object");
        }
    }

    /// <summary>The object's bytes, or null when there is no such object.</summary>
    public static async Task<byte[]?> ReadAllAsync(ObjectStore store, StorageLocation location, CancellationToken ct)
    {
        try
        {
            using var response = await store.Client.GetObjectAsync(new GetObjectRequest { BucketName = location.Bucket, Key = location.Key }, ct).ConfigureAwait(false);
            using var bytes = new MemoryStream();
            await response.ResponseStream.CopyToAsync(bytes, ct).ConfigureAwait(false);
            return bytes.ToArray();
        }
        catch (AmazonS3Exception ex) when (ex.ErrorCode == "NoSuchKey")
        {
            return null;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw ObjectStore.Explain(ex, location, "reading the object");
        }
    }

    /// <summary>Writes the object; with <paramref name="ifNoneMatch"/> only when it does not exist yet (returns false then).</summary>
    public static async Task<bool> WriteAsync(ObjectStore store, StorageLocation location, byte[] bytes, bool ifNoneMatch, CancellationToken ct)
    {
        try
        {
            await store.Client.PutObjectAsync(
                new PutObjectRequest
                {
                    BucketName = location.Bucket,
                    Key = location.Key,
                    InputStream = new MemoryStream(bytes, writable: false),
                    IfNoneMatch = ifNoneMatch ? "*" : null,
                    UseChunkEncoding = !store.IsCustomEndpoint,
                },
                ct).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ifNoneMatch && ObjectStore.IsPreconditionFailed(ex))
        {
            return false;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw ObjectStore.Explain(ex, location, "writing the object");
        }
    }

    public static async Task DeleteAsync(ObjectStore store, StorageLocation location, CancellationToken ct) =>
        await CallAsync(() => store.Client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = location.Bucket, Key = location.Key }, ct), location, "deleting the object")
            .ConfigureAwait(false);
}
