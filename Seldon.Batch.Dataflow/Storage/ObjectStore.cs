using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;
using Amazon.S3;

namespace Seldon.Batch.Dataflow;

/// <summary>The S3 client a run uses, made on first need: a run on local files never touches the SDK.</summary>
internal sealed class ObjectStore : IDisposable
{
    private readonly Lazy<IAmazonS3> _client;

    /// <param name="endpoint">A custom endpoint (MinIO, Ceph, a test server); empty: <c>AWS_ENDPOINT_URL_S3</c>, then
    /// <c>AWS_ENDPOINT_URL</c>, then AWS itself.</param>
    /// <param name="partBytes">Size of one multipart upload part (S3 needs 5 MiB or more for all parts but the last).</param>
    /// <param name="tuning">The sizes of ranged reads and server-side copies; S3's when null (tests lower them).</param>
    public ObjectStore(string? endpoint, int partBytes = DefaultPartBytes, StorageTuning? tuning = null)
    {
        Endpoint = FirstNonEmpty(endpoint, Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL_S3"), Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL"));
        PartBytes = partBytes;
        tuning ??= StorageTuning.Default;
        ReadChunkBytes = tuning.ReadChunkBytes;
        CopyPartMinimumBytes = tuning.CopyPartMinimumBytes;
        _client = new Lazy<IAmazonS3>(() => CreateClient(Endpoint));
    }

    /// <summary>8 MiB: above S3's 5 MiB minimum, and 10,000 parts (S3's maximum) hold 80 GB of output.</summary>
    public const int DefaultPartBytes = 8 << 20;

    /// <summary>Bytes fetched by one ranged GET of an input: a long run never depends on one connection living for hours.</summary>
    public int ReadChunkBytes { get; }

    public const int DefaultReadChunkBytes = 32 << 20;

    /// <summary>The smallest part S3 accepts but for the last (5 MiB); parts smaller than this are joined by streaming.</summary>
    public long CopyPartMinimumBytes { get; }

    public string? Endpoint { get; }

    public int PartBytes { get; }

    public IAmazonS3 Client => _client.Value;

    /// <summary>Whether requests go to a third-party store (path-style addressing, no chunked uploads).</summary>
    public bool IsCustomEndpoint => Endpoint is not null;

    private static IAmazonS3 CreateClient(string? endpoint)
    {
        var config = new AmazonS3Config();
        if (endpoint is not null)
        {
            config.ServiceURL = endpoint;
            // MinIO, Ceph and most S3-compatible stores serve buckets as paths, not as host names, and do not
            // compute the CRC checksums SDK 4 asks for on every request by default.
            config.ForcePathStyle = true;
            config.RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED;
            config.ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED;
            if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("AWS_REGION")) && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("AWS_DEFAULT_REGION")))
            {
                // A private store does not care about the region, but the request signature needs one.
                config.AuthenticationRegion = "us-east-1";
            }
        }

        // Credentials come from the SDK's standard chain: environment, profile, web identity (IRSA), container or instance role.
        return new AmazonS3Client(config);
    }

    /// <summary>Turns the SDK's failure into a message about <paramref name="location"/> (the object it was about, when
    /// known): a missing bucket or object, a refused access or missing credentials are settings problems; a store that
    /// cannot be reached, or any other failure, a failure of the store.</summary>
    public static StorageException Explain(Exception ex, StorageLocation? location, string doing)
    {
        var about = location is null ? "" : $"{location}: ";
        return ex switch
        {
            AmazonS3Exception { ErrorCode: "NoSuchBucket" } when location is not null =>
                StorageException.Settings($"{about}the bucket '{location.Bucket}' does not exist", ex),
            AmazonS3Exception { ErrorCode: "NoSuchBucket" } => StorageException.Settings($"{about}the bucket does not exist", ex),
            AmazonS3Exception { ErrorCode: "NoSuchKey" } or AmazonS3Exception { StatusCode: HttpStatusCode.NotFound } =>
                StorageException.Settings($"{about}no such object (or no such bucket)", ex),
            AmazonS3Exception { StatusCode: HttpStatusCode.Forbidden } s3 =>
                StorageException.Settings($"{about}access denied while {doing} ({s3.ErrorCode}): check the credentials and the bucket policy", ex),
            AmazonS3Exception s3 => StorageException.Failure($"{about}{doing} failed: {(int)s3.StatusCode} {s3.ErrorCode}: {s3.Message}", ex),
            AmazonClientException when IsMissingCredentials(ex) => StorageException.Settings(
                $"{about}no AWS credentials were found for {doing}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile " +
                "(AWS_PROFILE), a web identity (IRSA) or an instance role", ex),
            _ when Unreachable(ex) is { } cause => StorageException.Failure(
                $"{about}{doing} failed: the object store cannot be reached: {cause} (is {StorageException.EndpointSetting} right, and the store up?)", ex),
            AmazonClientException client => StorageException.Failure($"{about}{doing} failed: {client.Message}", ex),
            _ => StorageException.Failure($"{about}{doing} failed: {ex.Message}", ex),
        };
    }

    /// <summary>Whether the SDK found no credentials in its chain (environment, profile, web identity, container or
    /// instance role): a setting the user must supply, however often the run is tried again.</summary>
    private static bool IsMissingCredentials(Exception ex) =>
        ex.Message.StartsWith("Failed to resolve AWS credentials", StringComparison.Ordinal);

    /// <summary>The socket's own words when the store could not be reached at all (refused, reset, a name that does not
    /// resolve, a timeout of the connection); null otherwise.</summary>
    private static string? Unreachable(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is SocketException socket)
            {
                return socket.Message;
            }

            if (e is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError } http)
            {
                return http.Message;
            }
        }

        return null;
    }

    /// <summary>True when a conditional request found its condition false (the object changed, or already exists).</summary>
    public static bool IsPreconditionFailed(Exception ex) =>
        ex is AmazonS3Exception { StatusCode: HttpStatusCode.PreconditionFailed } or AmazonS3Exception { ErrorCode: "PreconditionFailed" };

    public void Dispose()
    {
        if (_client.IsValueCreated)
        {
            _client.Value.Dispose();
        }
    }

    private static string? FirstNonEmpty(params string?[] values) => values.FirstOrDefault(v => !string.IsNullOrWhiteSpace(v))?.Trim();
}
