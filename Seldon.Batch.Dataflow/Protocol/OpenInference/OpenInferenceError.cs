using System.Text.Json;

namespace Seldon.Batch.Dataflow;

/// <summary>Reads the error bodies of Open Inference servers: <c>{"error": "…"}</c> (MLServer's own errors, KServe,
/// Triton) or <c>{"detail": …}</c> (MLServer's request validation).</summary>
internal static class OpenInferenceError
{
    /// <summary>The error's text, never empty for a non-empty body; empty for an empty body.</summary>
    public static string DescribeBody(string? body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return "";
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                foreach (var name in (ReadOnlySpan<string>)["error", "detail"])
                {
                    if (root.TryGetProperty(name, out var value))
                    {
                        var text = value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();
                        if (!string.IsNullOrWhiteSpace(text))
                        {
                            return Shorten(text);
                        }
                    }
                }
            }
        }
        catch (JsonException)
        {
            // Not JSON (a proxy's HTML page, say): its text is the best description there is.
        }

        return Shorten(body.Trim());
    }

    /// <summary>Whether a body is a model server's own error (<c>{"error": "…"}</c>), as opposed to a gateway's page.</summary>
    public static bool IsErrorBody(string? body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return false;
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("error", out var error)
                && error.ValueKind == JsonValueKind.String;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Whether an answer says the model exists but is not ready yet (MLServer: 400 "… is not ready yet."), which
    /// waiting fixes.</summary>
    public static bool IsNotReady(string? body) =>
        body is not null && body.Contains("not ready", StringComparison.OrdinalIgnoreCase) && IsErrorBody(body);

    private static string Shorten(string text) => text.Length <= 300 ? text : text[..300] + "…";
}
