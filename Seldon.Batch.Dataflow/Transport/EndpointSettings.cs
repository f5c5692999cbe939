namespace Seldon.Batch.Dataflow;

/// <summary>Where the model is and how to reach it.</summary>
public sealed partial record EndpointSettings
{
    /// <summary><c>host:port</c> of the ingress or the model's service (a scheme is accepted too).</summary>
    public required string Host { get; init; }

    /// <summary>The SeldonDeployment's name.</summary>
    public required string DeploymentName { get; init; }

    /// <summary>The Kubernetes namespace of the deployment.</summary>
    public string Namespace { get; init; } = "default";

    /// <summary>Ingress (istio, ambassador) or the model's own service (seldon).</summary>
    public GatewayType Gateway { get; init; } = GatewayType.Istio;

    /// <summary>https (REST) or TLS (gRPC); also implied by a token.</summary>
    public bool UseSsl { get; init; }

    /// <summary>Sent as <c>X-Auth-Token</c> (REST) or <c>x-auth-token</c> (gRPC) when not empty.</summary>
    public string Token { get; init; } = "";

    /// <summary>False accepts any server certificate.</summary>
    public bool SslVerify { get; init; } = true;

    /// <summary>Time allowed for one attempt of one request.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Largest gRPC message sent or received.</summary>
    public int MaxMessageBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>Whether the connection is encrypted: asked for, or implied by a token as in the original.</summary>
    internal bool IsSecure => UseSsl || Token.Length > 0 || Host.StartsWith("https://", StringComparison.OrdinalIgnoreCase);
}
