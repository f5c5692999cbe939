namespace Seldon.Batch.Dataflow;

/// <summary>The wire protocol to the model (<c>--transport</c>).</summary>
public enum TransportType
{
    /// <summary>JSON over HTTP (RestSharp).</summary>
    Rest,
    /// <summary>The <c>seldon.protos.Seldon</c> gRPC service (Grpc.Net.Client).</summary>
    Grpc,
}
