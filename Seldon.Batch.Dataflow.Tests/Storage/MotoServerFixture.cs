using System.Diagnostics;
using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace Seldon.Batch.Dataflow.Tests.Storage;

/// <summary>A real S3-compatible server for the tests: moto_server on a free loopback port, started once per test
/// class and stopped after it. Parts may be as small as <see cref="MinimumPartBytes"/> (moto's stand-in for S3's 5 MiB),
/// so multipart uploads of a few hundred kilobytes have many parts and still obey the rule that only the last may be small.</summary>
public sealed class MotoServerFixture : IAsyncLifetime
{
    public const int MinimumPartBytes = 16 * 1024;

    private Process? _process;

    public string Endpoint { get; private set; } = "";

    public IAmazonS3 Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        // The library takes credentials from the SDK's standard chain; moto accepts any.
        Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", "testing");
        Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", "testing");
        Environment.SetEnvironmentVariable("AWS_REGION", "us-east-1");

        // The free port is found before moto binds it, so a server of a test running alongside can take it first (a CI
        // run saw moto exit at start): another port is tried then.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await StartOnAsync(Fixtures.LoopbackPort.Free());
                break;
            }
            catch (MotoExitedException) when (attempt < 3)
            {
            }
        }

        Client = new AmazonS3Client(
            new BasicAWSCredentials("testing", "testing"),
            new AmazonS3Config
            {
                ServiceURL = Endpoint,
                ForcePathStyle = true,
                AuthenticationRegion = "us-east-1",
                RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
                ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            });
    }

    private async Task StartOnAsync(int port)
    {
        var start = new ProcessStartInfo("moto_server") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-H", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["S3_UPLOAD_PART_MIN_SIZE"] = MinimumPartBytes.ToString(System.Globalization.CultureInfo.InvariantCulture);
        try
        {
            _process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException(
                "moto_server is not installed or not on PATH: the object storage tests need a local S3 server (pip install 'moto[server]')", ex);
        }

        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        Endpoint = $"http://127.0.0.1:{port}";
        await WaitUntilAnsweringAsync();
    }

    private async Task WaitUntilAnsweringAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (_process!.HasExited)
            {
                throw new MotoExitedException($"moto_server exited at start with code {_process.ExitCode}");
            }

            try
            {
                using var answer = await http.GetAsync($"{Endpoint}/moto-api/");
                if (answer.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Listening, but slow to answer its first request on a loaded machine (python importing moto's
                // services): asked again, until the deadline below.
            }

            if (deadline.Elapsed > TimeSpan.FromSeconds(60))
            {
                throw new InvalidOperationException($"moto_server did not answer on {Endpoint} within 60 s");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>A new bucket with a unique name, so tests sharing the server do not see each other's objects.</summary>
    public async Task<string> NewBucketAsync()
    {
        var name = $"t-{Guid.NewGuid():N}"[..30];
        await Client.PutBucketAsync(new PutBucketRequest { BucketName = name });
        return name;
    }

    public async Task PutAsync(string bucket, string key, byte[] content) =>
        await Client.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, InputStream = new MemoryStream(content), UseChunkEncoding = false });

    public async Task<byte[]?> GetAsync(string bucket, string key)
    {
        try
        {
            using var response = await Client.GetObjectAsync(bucket, key);
            using var bytes = new MemoryStream();
            await response.ResponseStream.CopyToAsync(bytes);
            return bytes.ToArray();
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task<string> ETagAsync(string bucket, string key) => (await Client.GetObjectMetadataAsync(bucket, key)).ETag;

    public Task DisposeAsync()
    {
        Client?.Dispose();
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }

        _process?.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>moto_server ended before it answered (its port taken, most likely).</summary>
internal sealed class MotoExitedException(string message) : InvalidOperationException(message);
