namespace Seldon.Batch.Dataflow;

/// <summary>How the model is reached (<c>--gateway-type</c>).</summary>
public enum GatewayType
{
    /// <summary>Through an Ambassador ingress: paths start with <c>/seldon/&lt;namespace&gt;/&lt;deployment&gt;</c>.</summary>
    Ambassador,
    /// <summary>Through an Istio ingress: paths start with <c>/seldon/&lt;namespace&gt;/&lt;deployment&gt;</c>.</summary>
    Istio,
    /// <summary>The model's own service: paths start with <c>/api/v1.0</c>.</summary>
    Seldon,
}
