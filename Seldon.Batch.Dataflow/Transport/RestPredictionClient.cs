using System.Net;
using System.Net.Sockets;
using RestSharp;
using Seldon.Batch.Dataflow.Protocol;
using Seldon.Batch.Dataflow.Protocol.OpenInference;

namespace Seldon.Batch.Dataflow.Transport;

/// <summary>Seldon's REST protocol over RestSharp. One instance serves all workers: a single connection
/// pool, so connections are reused across requests.</summary>
public sealed partial class RestPredictionClient : IPredictionClient
{
    private readonly RestClient _client;
    private readonly GatewayRoute _route;
    private readonly EndpointSettings _settings;

    /// <summary>Creates a client for the deployment <paramref name="settings"/> describe.</summary>
    public RestPredictionClient(EndpointSettings settings)
    {
        _settings = settings;
        _route = new GatewayRoute(settings);
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = int.MaxValue,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
            ConnectTimeout = settings.Timeout < TimeSpan.FromSeconds(10) ? settings.Timeout : TimeSpan.FromSeconds(10),
            AutomaticDecompression = DecompressionMethods.All,
            UseCookies = false,
            UseProxy = false,
        };
        if (!settings.SslVerify)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        }

        var http = new HttpClient(handler) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
        var options = new RestClientOptions(_route.BaseAddress)
        {
            Timeout = settings.Timeout,
            ThrowOnAnyError = false,
            UserAgent = "seldon-batch-processor",
        };
        _client = new RestClient(http, options, disposeHttpClient: true);
    }

    /// <summary>The URL predictions are sent to.</summary>
    public Uri PredictUrl => new(_route.BaseAddress, _route.PredictPath);

    /// <inheritdoc />
    public async Task<PredictionResponse> SendAsync(PredictionRequest request, CancellationToken cancellationToken)
    {
        var path = _route.PathOf(request.Method);
        var rest = new RestRequest(path, Method.Post);
        rest.AddHeader("seldon-puid", request.Puid);
        AddHeaders(rest, request.Puid);

        // Seldon answers JSON: one accepted type instead of RestSharp's list of serializer types.
        rest.AddHeader(KnownHeaders.Accept, ContentType.Json);
        rest.AddStringBody(request.Body, ContentType.Json);
        rest.AdvancedResponseWriter = ReadResponse;
        var response = await _client.ExecuteAsync(rest, cancellationToken).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();

        var code = (int)response.StatusCode;
        var url = $"{_route.BaseAddress.GetLeftPart(UriPartial.Authority)}{path}";
        if (response.ResponseStatus == ResponseStatus.Completed || code > 0)
        {
            if (response.IsSuccessStatusCode)
            {
                return PredictionResponse.Success(response.Content ?? "", code);
            }

            var detail = _settings.Protocol == InferenceProtocol.V2 ? OpenInferenceError.DescribeBody(response.Content) : SeldonStatus.DescribeBody(response.Content);
            var reason = $"HTTP {code} {response.StatusDescription} from {url}{(detail.Length > 0 ? ": " + detail : "")}";
            return PredictionResponse.Failed(code, reason, IsTransientStatus(code));
        }

        if (response.ResponseStatus == ResponseStatus.TimedOut)
        {
            return PredictionResponse.Unanswered(0, $"no answer from {url} within {_settings.Timeout.TotalSeconds:0.###} s");
        }

        return PredictionResponse.Unanswered(0, $"no answer from {url}: {Describe(response.ErrorException, response.ErrorMessage)}");
    }

    /// <summary>Reads the answer, already buffered by HttpClient, straight into the string the pipeline uses. RestSharp's
    /// own reading copies it through a fresh 16 KiB buffer and a byte array first, on every request.</summary>
    private static RestResponse ReadResponse(HttpResponseMessage message, RestRequest request)
    {
        var charset = message.Content.Headers.ContentType?.CharSet?.Trim('"');
        var encoding = System.Text.Encoding.UTF8;
        if (!string.IsNullOrEmpty(charset))
        {
            try
            {
                encoding = System.Text.Encoding.GetEncoding(charset);
            }
            catch (ArgumentException)
            {
                // An unknown charset: JSON is UTF-8 anyway.
            }
        }

        using var stream = message.Content.ReadAsStream();
        using var reader = new StreamReader(stream, encoding, detectEncodingFromByteOrderMarks: true);
        return new RestResponse(request)
        {
            StatusCode = message.StatusCode,
            IsSuccessStatusCode = message.IsSuccessStatusCode,
            StatusDescription = message.ReasonPhrase,
            ResponseStatus = ResponseStatus.Completed,
            ContentType = message.Content.Headers.ContentType?.MediaType,
            Content = reader.ReadToEnd(),
        };
    }

    private static bool IsTransientStatus(int code) => code >= 500 || code == 429 || code == 408;

    private static string Describe(Exception? error, string? message)
    {
        // The innermost socket error names the cause ("Connection refused"); outer ones only wrap it.
        for (var e = error; e is not null; e = e.InnerException)
        {
            if (e is SocketException socket)
            {
                return socket.Message;
            }
        }

        var text = error?.InnerException?.Message ?? error?.Message ?? message;
        return string.IsNullOrWhiteSpace(text) ? "the connection failed without a reason" : text;
    }

    /// <inheritdoc />
    public void Dispose() => _client.Dispose();
}
