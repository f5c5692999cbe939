namespace Seldon.Batch.Dataflow;

/// <summary>Where an input or output lives: a local path, an object <c>s3://bucket/key</c> in an S3-compatible store, or
/// the process's standard input or output (<c>-</c>, <see cref="IsStream"/>).</summary>
internal sealed record StorageLocation
{
    /// <summary>How a path names the standard input (as the input) or output (as the output), as Unix tools do.</summary>
    public const string StreamName = "-";

    private const string S3Scheme = "s3://";

    private static readonly StorageLocation Standard = new(null, null, null);

    private StorageLocation(string? path, string? bucket, string? key)
    {
        Path = path;
        Bucket = bucket;
        Key = key;
    }

    /// <summary>The local file path; null for an object.</summary>
    public string? Path { get; }

    /// <summary>The object's bucket; null for a local file.</summary>
    public string? Bucket { get; }

    /// <summary>The object's key; null for a local file.</summary>
    public string? Key { get; }

    public bool IsObject => Bucket is not null;

    /// <summary>Whether this is the standard input or output (<c>-</c>): read or written once, as it comes, never reopened.</summary>
    public bool IsStream => Path is null && Bucket is null;

    /// <summary>True when <paramref name="text"/> names the standard input or output (<c>-</c>).</summary>
    public static bool IsStreamName(string? text) => text == StreamName;

    /// <summary>True when <paramref name="text"/> names an object (starts with <c>s3://</c>).</summary>
    public static bool IsObjectUrl(string text) => text.StartsWith(S3Scheme, StringComparison.OrdinalIgnoreCase);

    /// <summary>Reads a path or an <c>s3://bucket/key</c> URL; throws <see cref="StorageException"/> (a settings problem)
    /// naming what is wrong with a malformed URL.</summary>
    public static StorageLocation Parse(string text)
    {
        if (IsStreamName(text))
        {
            return Standard;
        }

        if (!IsObjectUrl(text))
        {
            return new StorageLocation(text, null, null);
        }

        var rest = text[S3Scheme.Length..];
        var slash = rest.IndexOf('/');
        var bucket = slash < 0 ? rest : rest[..slash];
        var key = slash < 0 ? "" : rest[(slash + 1)..];
        if (bucket.Length == 0)
        {
            throw StorageException.Settings($"'{text}' names no bucket: write s3://bucket/key");
        }

        // S3's own rules (3 to 63 characters of lowercase letters, digits, dots and hyphens): a typo is caught before any request.
        if (bucket.Length is < 3 or > 63 || !bucket.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '.' or '-')
            || !char.IsAsciiLetterOrDigit(bucket[0]) || !char.IsAsciiLetterOrDigit(bucket[^1]))
        {
            throw StorageException.Settings($"'{text}': '{bucket}' is not a valid bucket name (3 to 63 lowercase letters, digits, dots and hyphens)");
        }

        if (key.Length == 0 || key.EndsWith('/'))
        {
            throw StorageException.Settings($"'{text}' names no object: write s3://{bucket}/path/to/object");
        }

        return new StorageLocation(null, bucket, key);
    }

    /// <summary>The location whose path or key is this one's followed by <paramref name="suffix"/>.</summary>
    public StorageLocation Append(string suffix) =>
        IsStream ? throw new InvalidOperationException("a stream has nothing next to it")
        : IsObject ? new StorageLocation(null, Bucket, Key + suffix) : new StorageLocation(Path + suffix, null, null);

    /// <inheritdoc />
    public override string ToString() => IsStream ? StreamName : IsObject ? $"{S3Scheme}{Bucket}/{Key}" : Path!;
}
