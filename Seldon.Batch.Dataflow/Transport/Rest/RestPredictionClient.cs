using System.Net;
using System.Net.Sockets;
using RestSharp;

namespace Seldon.Batch.Dataflow;

/// <summary>Seldon's REST protocol over RestSharp. One instance serves all workers: a single connection
/// pool, so connections are reused across requests.</summary>
internal sealed partial class RestPredictionClient : IModelInspector
{
    private static readonly ContentType JsonUtf8 = "application/json; charset=utf-8";

    private readonly RestClient _client;
    private readonly RestClient _predict;
    private readonly RestClient _feedback;
    private readonly GatewayRoute _route;
    private readonly EndpointSettings _settings;
    private readonly string _authority;

    /// <summary>Creates a client for the deployment <paramref name="settings"/> describe.</summary>
    public RestPredictionClient(EndpointSettings settings)
    {
        _settings = settings;
        _route = new GatewayRoute(settings);
        _authority = _route.BaseAddress.GetLeftPart(UriPartial.Authority);
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
        _client = new RestClient(http, Options(_route.BaseAddress), disposeHttpClient: true);
        // Predictions (and feedback) go to one URL each, made here once by RestSharp's own rules: their clients have it as
        // the base address and send an empty resource, so RestSharp does not merge the base with a path per request.
        _predict = new RestClient(http, Options(_client.BuildUri(new RestRequest(_route.PredictPath, Method.Post))), disposeHttpClient: false);
        _feedback = new RestClient(http, Options(_client.BuildUri(new RestRequest(_route.FeedbackPath, Method.Post))), disposeHttpClient: false);

        RestClientOptions Options(Uri baseUrl) => new(baseUrl)
        {
            Timeout = settings.Timeout,
            ThrowOnAnyError = false,
            UserAgent = "seldon-batch-processor",
        };
    }

    /// <inheritdoc />
    public InferenceProtocol Protocol => _settings.Protocol;

    /// <inheritdoc />
    public async Task<PredictionResponse> SendAsync(PredictionRequest request, CancellationToken cancellationToken)
    {
        var path = _route.PathOf(request.Method);
        var rest = new RestRequest("", Method.Post);
        rest.AddHeader("seldon-puid", request.Puid);
        AddHeaders(rest, request.Puid);

        // Seldon answers JSON: one accepted type instead of RestSharp's list of serializer types.
        rest.AddHeader(KnownHeaders.Accept, ContentType.Json);
        // The body as UTF-8 bytes, the header as a string body would have it: RestSharp hashes its parameters once per
        // request, and a string body's hash reads the whole text (a bytes body hashes by reference).
        rest.AddParameter(new BodyParameter(request.Utf8Body, JsonUtf8, DataFormat.Binary));
        rest.AdvancedResponseWriter = ReadResponse;
        var client = request.Method == PredictionMethod.Feedback ? _feedback : _predict;
        var response = await client.ExecuteAsync(rest, cancellationToken).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();

        var code = (int)response.StatusCode;
        if (response.IsSuccessStatusCode && (response.RawBytes is { } utf8 ? LooksLikeJson(utf8) : LooksLikeJson(response.Content)))
        {
            // The answer's bytes as they came (a UTF-8 answer), or the text of another charset's.
            return response.RawBytes is { } bytes ? PredictionResponse.SuccessUtf8(bytes, code) : PredictionResponse.Success(response.Content ?? "", code);
        }

        // Only a failure names the URL: building it for every answer cost a Uri walk per request.
        var url = $"{_authority}{path}";
        if (response.ResponseStatus == ResponseStatus.Completed || code > 0)
        {
            var text = TextOf(response); // a failure's body as text, decoded only for a failure
            var v2 = _settings.Protocol == InferenceProtocol.V2;
            var kind = Classify(code, text, v2);
            var detail = v2 ? OpenInferenceError.DescribeBody(text) : SeldonStatus.DescribeBody(text);
            var reason = $"HTTP {code} {response.StatusDescription} from {url}{(detail.Length > 0 ? ": " + detail : "")}";
            if (response.IsSuccessStatusCode)
            {
                reason = $"HTTP {code} from {url} is not a {(v2 ? "V2 (Open Inference)" : "Seldon")} answer ({response.ContentType ?? "no content type"}: {detail})";
            }

            return PredictionResponse.Failed(kind, code, reason + LikelyCause(kind, code, text, v2));
        }

        if (response.ResponseStatus == ResponseStatus.TimedOut)
        {
            return PredictionResponse.Unanswered(PredictionFailureKind.Transient, 0, $"no answer from {url} within {_settings.Timeout.TotalSeconds:0.###} s");
        }

        var failure = $"no answer from {url}: {Describe(response.ErrorException, response.ErrorMessage)}";
        return ConnectionFailure.Explain(response.ErrorException) is { } cause
            ? PredictionResponse.Unanswered(PredictionFailureKind.Misconfiguration, 0, failure + cause)
            : PredictionResponse.Unanswered(PredictionFailureKind.Outage, 0, failure);
    }

    /// <summary>What an HTTP answer other than a JSON success says (docs/operations.md has the table). An answer that
    /// says the endpoint is of another kind (a gRPC port's HTTP/2-only refusal; for V2, a Seldon server's status) is a
    /// misconfiguration whatever its status: no request to it can succeed.</summary>
    internal static PredictionFailureKind Classify(int code, string? body, bool openInference = false) => code switch
    {
        _ when WrongEndpoint.IsHttp2Only(code, body) => PredictionFailureKind.Misconfiguration,
        _ when openInference && (code < 200 || code > 299) && WrongEndpoint.IsSeldonStatus(body) => PredictionFailureKind.Misconfiguration,
        400 when openInference && OpenInferenceError.IsNotReady(body) => PredictionFailureKind.Outage, // loading: wait for it
        >= 200 and < 300 => PredictionFailureKind.Misconfiguration, // a success that is not JSON: not a Seldon endpoint
        < 200 or (>= 300 and < 400) => PredictionFailureKind.Misconfiguration,
        401 or 403 or 404 or 405 or 407 or 410 or 501 => PredictionFailureKind.Misconfiguration,
        408 or 429 => PredictionFailureKind.Transient,
        502 or 503 or 504 => PredictionFailureKind.Outage,
        500 => (openInference ? OpenInferenceError.IsErrorBody(body) : SeldonStatus.IsStatusBody(body)) ? PredictionFailureKind.Line : PredictionFailureKind.Transient,
        < 500 => PredictionFailureKind.Line,
        _ => PredictionFailureKind.Transient,
    };

    /// <summary>The likely cause of a failure that stops the run, for the stop message, naming the settings that make
    /// it (<see cref="SettingNames"/>); empty for the others.</summary>
    internal static string LikelyCause(PredictionFailureKind kind, int code, string? body = null, bool openInference = false) =>
        kind != PredictionFailureKind.Misconfiguration ? "" : code switch
        {
            _ when WrongEndpoint.IsHttp2Only(code, body) => WrongEndpoint.Http2OnlyCause,
            _ when openInference && WrongEndpoint.IsSeldonStatus(body) => WrongEndpoint.SeldonProtocolCause,
            404 or 410 when openInference => OpenInferenceError.IsErrorBody(body) ? WrongEndpoint.UnknownModelCause : WrongEndpoint.UnknownRouteCause,
            404 or 410 => $" (is the deployment name right? {SettingNames.DeploymentName}, {SettingNames.Namespace} and {SettingNames.Gateway} make the path)",
            401 or 403 or 407 => $" (is the token right? {SettingNames.Token})",
            405 or 501 => $" (is the gateway type right? {SettingNames.Gateway})",
            _ => $" (is {SettingNames.Host} a model endpoint of this {SettingNames.Protocol}, and is {SettingNames.Transport} right?)",
        };

    /// <summary>Whether a success body can be a Seldon answer at all: a JSON object or array, not a page of HTML or text.</summary>
    internal static bool LooksLikeJson(string? body)
    {
        foreach (var c in body ?? "")
        {
            if (!char.IsWhiteSpace(c))
            {
                return c is '{' or '[';
            }
        }

        return true; // an empty answer is the composer's to report, for the lines it was meant for
    }

    /// <summary><see cref="LooksLikeJson(string)"/> of the text UTF-8 <paramref name="body"/> decodes to (a bad sequence
    /// decodes to U+FFFD, which is not white space), without decoding more than its leading white space.</summary>
    internal static bool LooksLikeJson(ReadOnlySpan<byte> body) => AnswerBody.FirstNonWhiteSpace(body) is not { } first || first.Value is '{' or '[';

    /// <summary>Reads the answer, already buffered by HttpClient: a UTF-8 answer's bytes, copied once into the array the
    /// pipeline parses (<see cref="RestResponseBase.RawBytes"/>), and another charset's text (<see cref="RestResponseBase.Content"/>).
    /// With a response writer RestSharp reads nothing itself; its own reading copies the body through a fresh 16 KiB
    /// buffer and a byte array, then decodes it to a string, on every request.</summary>
    private static RestResponse ReadResponse(HttpResponseMessage message, RestRequest request)
    {
        var (bytes, text) = ReadBody(message.Content);
        return new RestResponse(request)
        {
            StatusCode = message.StatusCode,
            IsSuccessStatusCode = message.IsSuccessStatusCode,
            StatusDescription = message.ReasonPhrase,
            ResponseStatus = ResponseStatus.Completed,
            ContentType = message.Content.Headers.ContentType?.MediaType,
            RawBytes = bytes,
            Content = text,
        };
    }

    /// <summary>The body of a response <see cref="ReadResponse"/> read, as text.</summary>
    private static string? TextOf(RestResponse response) =>
        response.RawBytes is { } bytes ? System.Text.Encoding.UTF8.GetString(bytes) : response.Content;

    /// <summary>The body as text (what <see cref="ReadBody"/> reads, decoded when it is bytes): for the tests.</summary>
    internal static string ReadText(HttpContent content) => ReadBody(content) is (var bytes, var text) && bytes is not null
        ? System.Text.Encoding.UTF8.GetString(bytes)
        : text!;

    /// <summary>The body: UTF-8 (JSON's encoding, and what Seldon and MLServer send) without a byte order mark as its bytes,
    /// read into one array of their length; another charset, or a byte order mark, as text through a
    /// <see cref="StreamReader"/> that honours it.</summary>
    internal static (byte[]? Utf8, string? Text) ReadBody(HttpContent content)
    {
        var charset = content.Headers.ContentType?.CharSet?.Trim('"');
        var utf8 = string.IsNullOrEmpty(charset) || charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase);
        using var stream = content.ReadAsStream();
        if (utf8 && stream.CanSeek && stream.Length <= Array.MaxLength)
        {
            var bytes = GC.AllocateUninitializedArray<byte>((int)stream.Length);
            var read = 0;
            while (read < bytes.Length && stream.Read(bytes, read, bytes.Length - read) is var n and > 0)
            {
                read += n;
            }

            var body = read == bytes.Length ? bytes : bytes[..read];
            ReadOnlySpan<byte> span = body;
            if (!span.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) && !span.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF])
                && !span.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]) && !span.StartsWith((ReadOnlySpan<byte>)[0, 0, 0xFE, 0xFF]))
            {
                return (body, null);
            }

            stream.Position = 0; // a byte order mark: the reader below detects the encoding, as before
        }

        var encoding = System.Text.Encoding.UTF8;
        if (!utf8)
        {
            try
            {
                encoding = System.Text.Encoding.GetEncoding(charset!);
            }
            catch (ArgumentException)
            {
                // An unknown charset: JSON is UTF-8 anyway.
            }
        }

        using var reader = new StreamReader(stream, encoding, detectEncodingFromByteOrderMarks: true);
        return (null, reader.ReadToEnd());
    }

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
    public void Dispose()
    {
        _predict.Dispose();
        _feedback.Dispose();
        _client.Dispose();
    }
}
