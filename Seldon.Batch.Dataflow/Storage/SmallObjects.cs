namespace Seldon.Batch.Dataflow;

/// <summary>Small whole files or objects next to an output (shard plans, part summaries), local or on S3 alike.</summary>
internal static class SmallObjects
{
    public static async Task<byte[]?> ReadAsync(ObjectStore store, StorageLocation location, CancellationToken ct)
    {
        if (location.IsObject)
        {
            return await S3Objects.ReadAllAsync(store, location, ct).ConfigureAwait(false);
        }

        return File.Exists(location.Path) ? await File.ReadAllBytesAsync(location.Path!, ct).ConfigureAwait(false) : null;
    }

    /// <summary>Writes the object unless it exists; false when it did (someone else created it first). Atomic on
    /// both sides: a temporary file renamed without overwrite, or a PUT with <c>If-None-Match: *</c>.</summary>
    public static async Task<bool> TryCreateAsync(ObjectStore store, StorageLocation location, byte[] bytes, CancellationToken ct)
    {
        if (location.IsObject)
        {
            return await S3Objects.WriteAsync(store, location, bytes, ifNoneMatch: true, ct).ConfigureAwait(false);
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(location.Path!))!);
        var temporary = $"{location.Path}.{Guid.NewGuid():N}.tmp";
        await File.WriteAllBytesAsync(temporary, bytes, ct).ConfigureAwait(false);
        try
        {
            File.Move(temporary, location.Path!, overwrite: false);
            return true;
        }
        catch (IOException) when (File.Exists(location.Path))
        {
            File.Delete(temporary);
            return false;
        }
    }

    /// <summary>Writes (or replaces) the object whole or not at all: a PUT, or a temporary file moved into place.</summary>
    public static async Task WriteAsync(ObjectStore store, StorageLocation location, byte[] bytes, CancellationToken ct)
    {
        if (location.IsObject)
        {
            await S3Objects.WriteAsync(store, location, bytes, ifNoneMatch: false, ct).ConfigureAwait(false);
            return;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(location.Path!))!);
        var temporary = location.Path + ".tmp";
        await File.WriteAllBytesAsync(temporary, bytes, ct).ConfigureAwait(false);
        File.Move(temporary, location.Path!, overwrite: true);
    }

    /// <summary>The names (after <paramref name="prefix"/>) of the files or objects whose path or key starts with it:
    /// <c>out.txt.parts/plan-of-</c> lists the shard plans next to <c>out.txt</c>. Empty when there are none.</summary>
    public static async Task<IReadOnlyList<string>> ListAsync(ObjectStore store, StorageLocation prefix, CancellationToken ct)
    {
        if (!prefix.IsObject)
        {
            var folder = Path.GetDirectoryName(Path.GetFullPath(prefix.Path!))!;
            var start = Path.GetFileName(prefix.Path!);
            return Directory.Exists(folder)
                ? [.. Directory.EnumerateFiles(folder, start + "*").Select(f => Path.GetFileName(f)[start.Length..]).Order(StringComparer.Ordinal)]
                : [];
        }

        var names = new List<string>();
        var request = new Amazon.S3.Model.ListObjectsV2Request { BucketName = prefix.Bucket, Prefix = prefix.Key };
        do
        {
            var page = await S3Objects.CallAsync(() => store.Client.ListObjectsV2Async(request, ct), prefix, "listing the objects").ConfigureAwait(false);
            names.AddRange((page.S3Objects ?? []).Select(o => o.Key[prefix.Key!.Length..]));
            request.ContinuationToken = page.IsTruncated == true ? page.NextContinuationToken : null;
        }
        while (request.ContinuationToken is not null);

        return [.. names.Order(StringComparer.Ordinal)];
    }

    /// <summary>Deletes the object if it exists.</summary>
    public static async Task DeleteAsync(ObjectStore store, StorageLocation location, CancellationToken ct)
    {
        if (location.IsObject)
        {
            await S3Objects.DeleteAsync(store, location, ct).ConfigureAwait(false);
            return;
        }

        File.Delete(location.Path!);
    }
}
