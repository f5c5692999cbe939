using Amazon.S3.Model;

namespace Seldon.Batch.Dataflow;

/// <summary>Joins parts, in order, into one output that appears only when it is complete. On S3, when every part but
/// the last is big enough to be a multipart part, the store copies them server-side (UploadPartCopy) and no byte
/// passes through this process; otherwise, and for local files, the bytes are streamed.</summary>
internal static class PartJoiner
{
    /// <summary>S3's largest part, also for a copied one.</summary>
    private const long MaxPartBytes = 5L << 30;

    /// <summary>Joins <paramref name="parts"/> (location and size) into <paramref name="output"/>; returns whether the store copied them.</summary>
    public static async Task<bool> JoinAsync(ObjectStore store, IReadOnlyList<(StorageLocation Location, long Bytes)> parts, StorageLocation output, CancellationToken ct)
    {
        var nonEmpty = parts.Where(p => p.Bytes > 0).ToList();
        if (output.IsObject && nonEmpty.Count > 0 && nonEmpty.SkipLast(1).All(p => p.Bytes >= store.CopyPartMinimumBytes))
        {
            await CopyAsync(store, nonEmpty, output, ct).ConfigureAwait(false);
            return true;
        }

        var target = OutputTarget.Create(output, store);
        await target.DiscardPartialAsync(null, ct).ConfigureAwait(false);
        await using (var joined = await target.OpenAsync(WrittenPrefix.None, "", null, ct).ConfigureAwait(false))
        {
            foreach (var (location, _) in nonEmpty)
            {
                var source = InputSource.Create(location, InputCompression.None, store);
                await using var reading = await source.OpenAsync(await source.DescribeAsync(ct).ConfigureAwait(false), 0, null, ct).ConfigureAwait(false);
                await reading.Decoded.CopyToAsync(joined, 1 << 20, ct).ConfigureAwait(false);
            }
        }

        await target.PublishAsync(exclusive: false, ct).ConfigureAwait(false);
        return false;
    }

    private static async Task CopyAsync(ObjectStore store, IReadOnlyList<(StorageLocation Location, long Bytes)> parts, StorageLocation output, CancellationToken ct)
    {
        var upload = await S3Objects.CallAsync(
            () => store.Client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = output.Bucket, Key = output.Key }, ct), output, "starting the merged upload")
            .ConfigureAwait(false);
        try
        {
            var etags = new List<PartETag>();
            foreach (var (location, bytes) in parts)
            {
                // A part above 5 GiB is copied in 5 GiB pieces; every piece but the part's last is then big enough as well.
                for (long first = 0; first < bytes; first += MaxPartBytes)
                {
                    var number = etags.Count + 1;
                    var copied = await S3Objects.CallAsync(
                        () => store.Client.CopyPartAsync(
                            new CopyPartRequest
                            {
                                SourceBucket = location.Bucket,
                                SourceKey = location.Key,
                                DestinationBucket = output.Bucket,
                                DestinationKey = output.Key,
                                UploadId = upload.UploadId,
                                PartNumber = number,
                                FirstByte = first,
                                LastByte = Math.Min(bytes, first + MaxPartBytes) - 1,
                            },
                            ct),
                        location,
                        "copying the part into the output").ConfigureAwait(false);
                    etags.Add(new PartETag(number, copied.ETag));
                }
            }

            await S3Objects.CallAsync(
                () => store.Client.CompleteMultipartUploadAsync(
                    new CompleteMultipartUploadRequest { BucketName = output.Bucket, Key = output.Key, UploadId = upload.UploadId, PartETags = etags }, ct),
                output,
                "completing the merged upload").ConfigureAwait(false);
        }
        catch
        {
            await store.Client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = output.Bucket, Key = output.Key, UploadId = upload.UploadId }, CancellationToken.None)
                .ConfigureAwait(false);
            throw;
        }
    }
}
