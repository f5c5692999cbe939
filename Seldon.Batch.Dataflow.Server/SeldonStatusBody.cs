using System.Text.Json;

namespace Seldon.Batch.Dataflow.Server;

/// <summary>
/// The error answer of a Seldon model server: <c>{"status":{"code":…,"info":…,"reason":…,"status":1}}</c>,
/// where status 1 is <c>StatusFlag.FAILURE</c>.
/// </summary>
internal static class SeldonStatusBody
{
    /// <summary>The reason of a request that is not a valid Seldon message (HTTP 400).</summary>
    public const string BadDataReason = "MICROSERVICE_BAD_DATA";

    /// <summary>The reason of a model that failed on a valid message (HTTP 500).</summary>
    public const string InternalErrorReason = "MICROSERVICE_INTERNAL_ERROR";

    /// <summary>The reason of a failure injected by <see cref="ServeOptions"/>.</summary>
    public const string InjectedFaultReason = "INJECTED_FAULT";

    /// <summary>The code the real server puts in its own errors; the HTTP status carries the meaning.</summary>
    public const int ModelErrorCode = -1;

    /// <summary>The info of a request refused for a <see cref="ServeOptions.RefuseValue"/> row.</summary>
    public const string RefusedInfo = "a row holds the refused value";

    /// <summary>The answer of a request refused for a <see cref="ServeOptions.RefuseValue"/> row, as the real server
    /// words a model's refusal: 400 bad data or 500 internal error.</summary>
    public static void WriteRefusal(Utf8JsonWriter writer, int status) =>
        Write(writer, ModelErrorCode, RefusedInfo, status == 400 ? BadDataReason : InternalErrorReason);

    public static void Write(Utf8JsonWriter writer, int code, string info, string reason)
    {
        writer.WriteStartObject();
        writer.WriteStartObject("status");
        writer.WriteNumber("code", code);
        writer.WriteString("info", info);
        writer.WriteString("reason", reason);
        writer.WriteNumber("status", 1);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }
}
