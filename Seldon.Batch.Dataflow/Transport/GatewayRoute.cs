
namespace Seldon.Batch.Dataflow;

/// <summary>The base address and REST paths of a deployment behind a gateway.</summary>
internal sealed class GatewayRoute
{
    public GatewayRoute(EndpointSettings settings)
    {
        var host = settings.Host.Trim().TrimEnd('/');
        var schemeEnd = host.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd >= 0)
        {
            host = host[(schemeEnd + 3)..];
        }

        BaseAddress = new Uri($"{(settings.IsSecure ? "https" : "http")}://{host}");
        var prefix = settings.Gateway == GatewayType.Seldon
            ? ""
            : $"/seldon/{Uri.EscapeDataString(settings.Namespace)}/{Uri.EscapeDataString(settings.DeploymentName)}";
        PredictPath = prefix + "/api/v1.0/predictions";
        FeedbackPath = prefix + "/api/v1.0/feedback";
        var version = settings.ModelVersion.Length > 0 ? $"/versions/{Uri.EscapeDataString(settings.ModelVersion)}" : "";
        ModelPath = $"{prefix}/v2/models/{Uri.EscapeDataString(settings.Model)}{version}";
        if (settings.Protocol == InferenceProtocol.V2)
        {
            PredictPath = ModelPath + "/infer";
        }
    }

    /// <summary>Open Inference: the model's metadata (<c>GET</c>); <c>/ready</c> and <c>/infer</c> follow it.</summary>
    public string ModelPath { get; }

    public Uri BaseAddress { get; }

    public string PredictPath { get; }

    public string FeedbackPath { get; }

    public string PathOf(PredictionMethod method) => method == PredictionMethod.Feedback ? FeedbackPath : PredictPath;
}
