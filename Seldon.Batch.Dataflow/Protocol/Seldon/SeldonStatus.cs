using System.Text.Json;
using System.Text.Json.Nodes;

namespace Seldon.Batch.Dataflow;

/// <summary>Reads the <c>status</c> of a Seldon answer.</summary>
internal static class SeldonStatus
{
    /// <summary>"REASON: info" from a Seldon status object, never empty.</summary>
    public static string Describe(JsonObject status)
    {
        var reason = status["reason"] is JsonValue r && r.TryGetValue<string>(out var rs) ? rs : null;
        var info = status["info"] is JsonValue i && i.TryGetValue<string>(out var s) ? s : null;
        var text = string.Join(": ", new[] { reason, info }.Where(t => !string.IsNullOrWhiteSpace(t)));
        return text.Length > 0 ? text : "the model reported a failure without a reason";
    }

    /// <summary>Whether <paramref name="body"/> is a Seldon failure status, <c>{"status":{…,"status":1 or "FAILURE"}}</c>,
    /// as a model server writes when the model refuses or fails on the data it was sent.</summary>
    public static bool IsStatusBody(string? body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return false;
        }

        try
        {
            return SeldonJson.Parse(body) is JsonObject obj && obj["status"] is JsonObject status
                && status["status"] is JsonValue flag
                && ((flag.TryGetValue<double>(out var n) && n == 1) || (flag.TryGetValue<string>(out var s) && s == "FAILURE"));
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Describes an error body: a Seldon status when it holds one, else the start of its text.</summary>
    public static string DescribeBody(string? body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return "";
        }

        try
        {
            if (SeldonJson.Parse(body) is JsonObject obj && obj["status"] is JsonObject status)
            {
                return Describe(status);
            }
        }
        catch (JsonException)
        {
            // Not JSON: fall through to the raw text.
        }

        var text = body.Trim();
        return text.Length <= 300 ? text : text[..300] + "…";
    }
}
