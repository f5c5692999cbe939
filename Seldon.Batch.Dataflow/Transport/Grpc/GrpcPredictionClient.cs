using System.Net.Sockets;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Inference.Grpc;

namespace Seldon.Batch.Dataflow;

/// <summary>Seldon's gRPC service over Grpc.Net.Client. One channel serves all workers; it opens more
/// HTTP/2 connections when the calls in flight exceed what one connection carries. Messages are converted
/// from and to the pipeline's JSON at this edge by <see cref="SeldonProtoJson"/>: Google.Protobuf's own JSON parser
/// and formatter, with a direct path between JSON text and wire bytes for plain ndarray and tensor data.</summary>
internal sealed partial class GrpcPredictionClient : IModelInspector
{
    // Seldon's two methods with the message bytes as they are: SeldonProtoJson converts from and to the pipeline's JSON,
    // so no message objects are built for a call.
    private static readonly Marshaller<byte[]> Bytes = Marshallers.Create(static b => b, static b => b);
    private static readonly Method<byte[], byte[]> Predict = new(MethodType.Unary, "seldon.protos.Seldon", "Predict", Bytes, Bytes);
    private static readonly Method<byte[], byte[]> SendFeedback = new(MethodType.Unary, "seldon.protos.Seldon", "SendFeedback", Bytes, Bytes);

    private readonly GrpcChannel _channel;
    private readonly CallInvoker _invoker;
    private readonly EndpointSettings _settings;
    private readonly string _address;

    /// <summary>Creates a client (and its channel) for the deployment <paramref name="settings"/> describe.</summary>
    public GrpcPredictionClient(EndpointSettings settings)
    {
        _settings = settings;
        var route = new GatewayRoute(settings);
        _address = route.BaseAddress.GetLeftPart(UriPartial.Authority);
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            KeepAlivePingDelay = TimeSpan.FromSeconds(60),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(30),
            ConnectTimeout = settings.Timeout < TimeSpan.FromSeconds(10) ? settings.Timeout : TimeSpan.FromSeconds(10),
            UseProxy = false,
        };
        if (!settings.SslVerify)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        }

        _channel = GrpcChannel.ForAddress(_address, new GrpcChannelOptions
        {
            HttpHandler = handler,
            DisposeHttpClient = true,
            MaxReceiveMessageSize = settings.MaxMessageBytes,
            MaxSendMessageSize = settings.MaxMessageBytes,
            Credentials = settings.IsSecure ? ChannelCredentials.SecureSsl : ChannelCredentials.Insecure,
        });
        _invoker = _channel.CreateCallInvoker();
        _inference = new GRPCInferenceService.GRPCInferenceServiceClient(_invoker);
    }

    /// <inheritdoc />
    public InferenceProtocol Protocol => _settings.Protocol;

    /// <inheritdoc />
    public async Task<PredictionResponse> SendAsync(PredictionRequest request, CancellationToken cancellationToken)
    {
        if (_settings.Protocol == InferenceProtocol.V2)
        {
            return await InferAsync(request, cancellationToken).ConfigureAwait(false);
        }

        var feedback = request.Method == PredictionMethod.Feedback;
        byte[] message;
        try
        {
            message = feedback ? SeldonProtoJson.ParseFeedback(request.Body).ToByteArray() : SeldonProtoJson.ToWire(request);
        }
        catch (Exception ex) when (ex is InvalidJsonException or InvalidProtocolBufferException or FormatException)
        {
            return PredictionResponse.Failed(
                PredictionFailureKind.Line, (int)StatusCode.InvalidArgument, $"the line is not a valid {(feedback ? "Feedback" : "SeldonMessage")} for gRPC: {ex.Message}");
        }

        var headers = new Metadata
        {
            { "seldon", _settings.DeploymentName },
            { "namespace", _settings.Namespace },
            { "seldon-puid", request.Puid },
        };
        AddHeaders(headers);
        var options = new CallOptions(headers, DateTime.UtcNow.Add(_settings.Timeout), cancellationToken);
        try
        {
            var answer = await _invoker.AsyncUnaryCall(feedback ? SendFeedback : Predict, null, options, message).ResponseAsync.ConfigureAwait(false);
            return PredictionResponse.SuccessUtf8(SeldonProtoJson.FromWireUtf8(answer), (int)StatusCode.OK);
        }
        catch (RpcException ex) when (!(ex.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested))
        {
            return Failure(ex);
        }
        catch (RpcException) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(cancellationToken);
        }
    }

    /// <summary>A failed call as a response: its kind, the code, and the detail with the root cause of a connection
    /// failure and, for a failure that stops the run, its likely cause.</summary>
    private PredictionResponse Failure(RpcException ex)
    {
        var detail = string.IsNullOrWhiteSpace(ex.Status.Detail) ? "no detail" : ex.Status.Detail;
        if (RootCause(ex.Status.DebugException) is { } cause && !detail.Contains(cause, StringComparison.Ordinal))
        {
            detail += $" ({cause})";
        }

        if (IsMessageTooLarge(ex))
        {
            // Whichever side refused it, the user's remedy is the setting: say what it is set to.
            detail += $" ({SettingNames.MaxMessageBytes} is {_settings.MaxMessageBytes} bytes)";
        }

        var kind = Classify(ex);
        var reason = $"gRPC {ex.StatusCode} from {_address}: {detail}{LikelyCause(kind, ex)}";
        return IsUnanswered(ex)
            ? PredictionResponse.Unanswered(kind, (int)ex.StatusCode, reason)
            : PredictionResponse.Failed(kind, (int)ex.StatusCode, reason);
    }

    /// <summary>What a gRPC failure says (docs/operations.md has the table). A failure of the connection itself
    /// surfaces as Unavailable or Internal with the HTTP or socket error inside: the model never saw the call.</summary>
    internal static PredictionFailureKind Classify(RpcException ex)
    {
        var connection = ex.Status.DebugException is HttpRequestException or IOException or SocketException;
        if (ConnectionFailure.IsTls(ex.Status.DebugException) || IsNotHttp2(ex.Status.DebugException))
        {
            return PredictionFailureKind.Misconfiguration;
        }

        return ex.StatusCode switch
        {
            StatusCode.Unavailable => PredictionFailureKind.Outage,
            StatusCode.Internal when connection => PredictionFailureKind.Outage,
            // grpc-dotnet's words for an HTTP answer that is not gRPC at all (an HTML page, a JSON error of a REST route).
            StatusCode.Internal or StatusCode.Unknown or StatusCode.Cancelled
                when ex.Status.Detail.StartsWith("Bad gRPC response", StringComparison.Ordinal) => PredictionFailureKind.Misconfiguration,
            StatusCode.Unimplemented or StatusCode.Unauthenticated or StatusCode.PermissionDenied or StatusCode.NotFound => PredictionFailureKind.Misconfiguration,
            StatusCode.DeadlineExceeded or StatusCode.Aborted or StatusCode.Cancelled => PredictionFailureKind.Transient,
            StatusCode.ResourceExhausted => IsMessageTooLarge(ex) ? PredictionFailureKind.Line : PredictionFailureKind.Transient,
            _ => PredictionFailureKind.Line,
        };
    }

    /// <summary>The likely cause of a failure that stops the run, for the stop message, naming the settings that make
    /// it (<see cref="SettingNames"/>); empty for the others.</summary>
    private static string LikelyCause(PredictionFailureKind kind, RpcException ex) => kind != PredictionFailureKind.Misconfiguration ? "" : ex.StatusCode switch
    {
        _ when IsNotHttp2(ex.Status.DebugException) =>
            $" (the port does not speak HTTP/2, which gRPC needs: is it a REST port? is {SettingNames.Transport} right, or {SettingNames.Host}?)",
        _ when ConnectionFailure.IsTls(ex.Status.DebugException) => $" (is the TLS setting right: {SettingNames.UseSsl}, {SettingNames.SslVerify}?)",
        StatusCode.Unimplemented or StatusCode.NotFound =>
            $" (is the deployment name right ({SettingNames.DeploymentName}; {SettingNames.ModelName} with the V2 {SettingNames.Protocol}), and does {SettingNames.Host} serve this protocol's gRPC service? {SettingNames.Gateway}, {SettingNames.Transport})",
        StatusCode.Unauthenticated or StatusCode.PermissionDenied => $" (is the token right? {SettingNames.Token})",
        StatusCode.Unavailable or StatusCode.Internal => $" (is the TLS setting right: {SettingNames.UseSsl}, {SettingNames.SslVerify}?)",
        _ => $" (is {SettingNames.Host} a gRPC endpoint of this {SettingNames.Protocol}, and is {SettingNames.Transport} right?)",
    };

    /// <summary>Whether the server does not speak HTTP/2, which gRPC needs: it refused it (HTTP_1_1_REQUIRED, as Kestrel's
    /// HTTP/1.1-only endpoints answer), or answered the connection preface with bytes that are not HTTP/2 frames
    /// (PROTOCOL_ERROR: an HTTP/1.1 server's "400 Bad Request"). A REST port given to gRPC, which waiting cannot fix.</summary>
    internal static bool IsNotHttp2(Exception? error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            if (e is HttpProtocolException { ErrorCode: 0xd or 0x1 })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A message over the size limit gets ResourceExhausted like an overloaded server, but sending it
    /// again cannot help.</summary>
    private static bool IsMessageTooLarge(RpcException ex) =>
        ex.Status.Detail.Contains("message size", StringComparison.OrdinalIgnoreCase)
        || ex.Status.Detail.Contains("message larger than", StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether the call got no answer from the server: the connection failed (the client reports it with
    /// the HTTP or socket error inside) or the deadline passed.</summary>
    internal static bool IsUnanswered(RpcException ex) =>
        ex.StatusCode == StatusCode.DeadlineExceeded
        || (ex.StatusCode is StatusCode.Unavailable or StatusCode.Internal && ex.Status.DebugException is HttpRequestException or IOException or SocketException);

    /// <summary>The innermost message of a connection failure ("Connection refused"), which the status detail omits.</summary>
    private static string? RootCause(Exception? error)
    {
        string? cause = null;
        for (var e = error; e is not null; e = e.InnerException)
        {
            cause = e.Message;
        }

        return string.IsNullOrWhiteSpace(cause) ? null : cause;
    }

    /// <inheritdoc />
    public void Dispose() => _channel.Dispose();
}
