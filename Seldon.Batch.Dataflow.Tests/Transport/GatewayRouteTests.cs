using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Transport;

public sealed class GatewayRouteTests
{
    private static GatewayRoute Route(
        GatewayType gateway = GatewayType.Istio,
        string host = "gateway.local:8080",
        string ns = "models",
        string deployment = "iris",
        bool useSsl = false,
        string token = "") =>
        new(new EndpointSettings
        {
            Host = host,
            DeploymentName = deployment,
            Namespace = ns,
            Gateway = gateway,
            UseSsl = useSsl,
            Token = token,
        });

    [Theory]
    [InlineData(GatewayType.Istio)]
    [InlineData(GatewayType.Ambassador)]
    public void Ingress_paths_start_with_namespace_and_deployment(GatewayType gateway)
    {
        var route = Route(gateway);

        Assert.Equal("/seldon/models/iris/api/v1.0/predictions", route.PredictPath);
        Assert.Equal("/seldon/models/iris/api/v1.0/feedback", route.FeedbackPath);
        Assert.Equal("/seldon/models/iris/api/v1.0/predictions", route.PathOf(PredictionMethod.Predict));
        Assert.Equal("/seldon/models/iris/api/v1.0/feedback", route.PathOf(PredictionMethod.Feedback));
        Assert.Equal("http://gateway.local:8080/", route.BaseAddress.ToString());
    }

    [Fact]
    public void Seldon_gateway_uses_the_model_service_paths()
    {
        var route = Route(GatewayType.Seldon);

        Assert.Equal("/api/v1.0/predictions", route.PredictPath);
        Assert.Equal("/api/v1.0/feedback", route.FeedbackPath);
        Assert.Equal("/api/v1.0/feedback", route.PathOf(PredictionMethod.Feedback));
        Assert.Equal("http://gateway.local:8080/", route.BaseAddress.ToString());
    }

    [Fact]
    public void Default_namespace_appears_in_the_path()
    {
        var route = new GatewayRoute(new EndpointSettings { Host = "h:80", DeploymentName = "sklearn" });

        Assert.Equal("/seldon/default/sklearn/api/v1.0/predictions", route.PredictPath);
    }

    [Fact]
    public void Use_ssl_gives_https()
    {
        Assert.Equal("https://gateway.local:8080/", Route(useSsl: true).BaseAddress.ToString());
    }

    [Fact]
    public void A_token_gives_https()
    {
        Assert.Equal("https://gateway.local:8080/", Route(token: "secret").BaseAddress.ToString());
    }

    [Fact]
    public void Without_ssl_or_token_it_is_http()
    {
        var route = Route();

        Assert.Equal("http", route.BaseAddress.Scheme);
        Assert.Equal("gateway.local", route.BaseAddress.Host);
        Assert.Equal(8080, route.BaseAddress.Port);
    }

    [Theory]
    [InlineData("http://gateway.local:8080", false, "http://gateway.local:8080/")]
    [InlineData("http://gateway.local:8080/", false, "http://gateway.local:8080/")]
    [InlineData("https://gateway.local:8443", false, "https://gateway.local:8443/")]
    [InlineData("HTTPS://gateway.local:8443", false, "https://gateway.local:8443/")]
    [InlineData("http://gateway.local:8080", true, "https://gateway.local:8080/")]
    [InlineData("  gateway.local:8080/  ", false, "http://gateway.local:8080/")]
    public void Host_given_with_a_scheme_or_spaces(string host, bool useSsl, string expected)
    {
        var route = Route(host: host, useSsl: useSsl);

        Assert.Equal(expected, route.BaseAddress.ToString());
        Assert.Equal("/seldon/models/iris/api/v1.0/predictions", route.PredictPath);
    }

    [Fact]
    public void Namespace_and_deployment_are_escaped()
    {
        var route = Route(ns: "my ns", deployment: "a/b");

        Assert.Equal("/seldon/my%20ns/a%2Fb/api/v1.0/predictions", route.PredictPath);
    }
}
