using System.Text.Json;

namespace Seldon.Batch.Dataflow;

/// <summary>Answers that say the request reached an endpoint of another kind than the settings assume: a gRPC port asked
/// over HTTP/1.1, a Seldon server asked in the Open Inference Protocol, a route that does not exist, a model the server
/// does not know. Each is a misconfiguration (no request can succeed), with the likely cause in the settings' names.</summary>
internal static class WrongEndpoint
{
    /// <summary>For an answer that <see cref="IsHttp2Only"/>.</summary>
    public static readonly string Http2OnlyCause =
        $" (the port speaks HTTP/2 only: is it a gRPC port? is {SettingNames.Transport} right, or {SettingNames.Host}?)";

    /// <summary>For an answer to an Open Inference request that <see cref="IsSeldonStatus"/>.</summary>
    public static readonly string SeldonProtocolCause =
        $" (the server answered with a Seldon status: it speaks the Seldon protocol, not V2; is {SettingNames.Protocol} right?)";

    /// <summary>For an Open Inference server's own 404 (<c>{"error":"Model x not found"}</c>).</summary>
    public static readonly string UnknownModelCause =
        $" (the server does not know the model: is {SettingNames.ModelName} right (by default {SettingNames.DeploymentName})?)";

    /// <summary>For a 404 that is not the model server's own: a web framework's or a gateway's (FastAPI's
    /// <c>{"detail":"Not Found"}</c>, an empty body): the path does not exist there.</summary>
    public static readonly string UnknownRouteCause =
        $" (no such route on the server: is {SettingNames.Gateway} right? {SettingNames.Gateway}, {SettingNames.Namespace} and {SettingNames.DeploymentName} make the path)";

    /// <summary>Whether an HTTP/1.1 request was refused because the port speaks only HTTP/2 (ASP.NET Core's Kestrel:
    /// 400 "An HTTP/1.x request was sent to an HTTP/2 only endpoint.").</summary>
    public static bool IsHttp2Only(int code, string? body) =>
        code is 400 or 426 or 505 && body is not null
        && (body.Contains("HTTP/2 only", StringComparison.OrdinalIgnoreCase) || body.Contains("HTTP/1.x request was sent", StringComparison.OrdinalIgnoreCase));

    /// <summary>Whether a body is a Seldon message carrying only a status (<c>{"status":{"code":500,"info":"…","status":"FAILURE"}}</c>,
    /// as Seldon Core's executor and model servers answer a failure), rather than an Open Inference answer or error.</summary>
    public static bool IsSeldonStatus(string? body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return false;
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            return root.ValueKind == JsonValueKind.Object
                && root.TryGetProperty("status", out var status) && status.ValueKind == JsonValueKind.Object
                && (status.TryGetProperty("code", out _) || status.TryGetProperty("status", out _) || status.TryGetProperty("reason", out _))
                && !root.TryGetProperty("outputs", out _) && !root.TryGetProperty("error", out _);
        }
        catch (JsonException)
        {
            return SeldonStatus.IsStatusBody(body);
        }
    }
}
