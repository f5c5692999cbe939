using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Transport;

public sealed class OpenInferenceRouteTests
{
    private static GatewayRoute Route(GatewayType gateway, string model = "", string version = "") => new(new EndpointSettings
    {
        Host = "gw:80",
        DeploymentName = "iris",
        Namespace = "models",
        Gateway = gateway,
        Protocol = InferenceProtocol.V2,
        ModelName = model,
        ModelVersion = version,
    });

    [Theory]
    [InlineData(GatewayType.Seldon, "", "", "/v2/models/iris/infer")]
    [InlineData(GatewayType.Seldon, "clf", "2", "/v2/models/clf/versions/2/infer")]
    [InlineData(GatewayType.Istio, "clf", "", "/seldon/models/iris/v2/models/clf/infer")]
    [InlineData(GatewayType.Ambassador, "", "", "/seldon/models/iris/v2/models/iris/infer")]
    [InlineData(GatewayType.Seldon, "a b", "", "/v2/models/a%20b/infer")]
    public void V2_paths_follow_the_gateway_and_the_model(GatewayType gateway, string model, string version, string expected)
    {
        var route = Route(gateway, model, version);

        Assert.Equal(expected, route.PredictPath);
        Assert.Equal(expected[..^"/infer".Length], route.ModelPath);
    }

    [Fact]
    public void The_seldon_protocol_keeps_its_paths()
    {
        var route = new GatewayRoute(new EndpointSettings { Host = "gw", DeploymentName = "iris", Gateway = GatewayType.Seldon });

        Assert.Equal("/api/v1.0/predictions", route.PredictPath);
    }

    [Fact]
    public void The_endpoint_calls_the_model_by_its_name_defaulting_to_the_deployment()
    {
        var endpoint = new EndpointSettings { Host = "gw", DeploymentName = "iris", Protocol = InferenceProtocol.V2 };

        Assert.Equal("iris", endpoint.Model);
        Assert.Equal("clf", (endpoint with { ModelName = "clf" }).Model);
    }

    [Theory]
    [InlineData("InputDatatype")]
    [InlineData("Headers")]
    [InlineData("ModelName")]
    public void Bad_v2_options_are_refused_by_name(string property)
    {
        var options = new BatchOptions { Endpoint = new EndpointSettings { Host = "gw", DeploymentName = "iris", Protocol = InferenceProtocol.V2 } };
        options = property switch
        {
            "InputDatatype" => options.WithBlock(b => b with { InputDatatype = "float" }),
            "Headers" => options.WithEndpoint(e => e with { Headers = [new("bad name", "x")] }),
            _ => options.WithEndpoint(e => e with { ModelName = "a/b" }),
        };

        var error = Assert.Throws<InvalidBatchOptionsException>(() => options.Validate(checkFiles: false));
        Assert.StartsWith(property, error.Message);
        Assert.Equal(property, error.Property);
    }
}
