namespace Seldon.Batch.Dataflow;

/// <summary>Where the model is, how to reach it and what it speaks: the one place for the transport, the protocol, the
/// route and the credentials. <see cref="PredictionClients.Create"/> makes the client of these settings; a file run
/// (<see cref="BatchOptions.Endpoint"/>) makes its own. Call <see cref="Validate"/> to check them before any request
/// (the file run does).</summary>
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

    /// <summary>REST (the default) or gRPC: which client <see cref="PredictionClients.Create"/> makes.</summary>
    public TransportType Transport { get; init; } = TransportType.Rest;

    /// <summary>https (REST) or TLS (gRPC); also implied by a token.</summary>
    public bool UseSsl { get; init; }

    /// <summary>Sent as <c>X-Auth-Token</c> (REST) or <c>x-auth-token</c> (gRPC) when not empty; implies https as in
    /// the original.</summary>
    public string Token { get; init; } = "";

    /// <summary>False accepts any server certificate.</summary>
    public bool SslVerify { get; init; } = true;

    /// <summary>Time allowed for one attempt of one request.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Largest gRPC message sent or received, in bytes.</summary>
    public int MaxMessageBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>Whether the connection is encrypted: asked for, or implied by a token as in the original.</summary>
    internal bool IsSecure => UseSsl || Token.Length > 0 || Host.StartsWith("https://", StringComparison.OrdinalIgnoreCase);

    /// <summary>Throws <see cref="InvalidBatchOptionsException"/> naming the first invalid setting by its property
    /// (<c>Timeout must be more than 0 seconds, not 0</c>).</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(DeploymentName))
        {
            throw InvalidBatchOptionsException.About(nameof(DeploymentName), " is required");
        }

        if (string.IsNullOrWhiteSpace(Host))
        {
            throw InvalidBatchOptionsException.About(nameof(Host), " must not be empty");
        }

        if (Timeout <= TimeSpan.Zero)
        {
            throw InvalidBatchOptionsException.About(nameof(Timeout), $" must be more than 0 seconds, not {Timeout.TotalSeconds}");
        }

        if (MaxMessageBytes < 1024)
        {
            throw InvalidBatchOptionsException.About(nameof(MaxMessageBytes), $" must be at least 1024 bytes, not {MaxMessageBytes}");
        }

        ValidateProtocol();
    }
}
