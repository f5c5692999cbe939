using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Seldon.Batch.Dataflow.Server.Tests;

/// <summary>One REST call to the demo server: what was answered, raw and parsed.</summary>
internal sealed record RestExchange(HttpStatusCode Status, string? ContentType, string Body)
{
    public JsonNode Json => JsonNode.Parse(Body) ?? throw new InvalidOperationException("The answer is JSON null.");

    public static async Task<RestExchange> PostAsync(HttpClient http, string path, string json, CancellationToken cancellation = default)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        using HttpResponseMessage response = await http.PostAsync(path, content, cancellation);
        string body = await response.Content.ReadAsStringAsync(cancellation);
        return new RestExchange(response.StatusCode, response.Content.Headers.ContentType?.MediaType, body);
    }
}
