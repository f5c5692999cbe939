using YamlDotNet.RepresentationModel;

namespace Seldon.Batch.Dataflow.Cli.Tests;

/// <summary>deploy/otel-collector.yaml, the collector of docs/operations.md's worked setup, is one the collector starts
/// with: YAML, and every pipeline names only receivers, processors and exporters the file defines.</summary>
public sealed class CollectorConfigTests
{
    [Fact]
    public void Every_pipeline_names_components_the_file_defines_and_takes_otlp()
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "deploy", "otel-collector.yaml")))
        {
            folder = folder.Parent;
        }

        var yaml = new YamlStream();
        yaml.Load(new StringReader(File.ReadAllText(Path.Combine(folder!.FullName, "deploy", "otel-collector.yaml"))));
        var root = (YamlMappingNode)yaml.Documents.Single().RootNode;
        HashSet<string> Defined(string section) => [.. ((YamlMappingNode)root[section]).Children.Keys.Select(k => ((YamlScalarNode)k).Value!)];

        var pipelines = (YamlMappingNode)((YamlMappingNode)root["service"])["pipelines"];
        Assert.Equal(["metrics", "traces"], pipelines.Children.Keys.Select(k => ((YamlScalarNode)k).Value).Order());
        foreach (var (_, pipeline) in pipelines.Children)
        {
            foreach (var section in new[] { "receivers", "processors", "exporters" })
            {
                var named = ((YamlSequenceNode)((YamlMappingNode)pipeline)[section]).Children.Select(n => ((YamlScalarNode)n).Value!).ToList();
                Assert.NotEmpty(named);
                Assert.Subset(Defined(section), named.ToHashSet());
            }

            Assert.Contains("otlp", ((YamlSequenceNode)((YamlMappingNode)pipeline)["receivers"]).Children.Select(n => ((YamlScalarNode)n).Value));
        }

        // The ports the jobs' OTEL_EXPORTER_OTLP_ENDPOINT names in docs/operations.md.
        var protocols = (YamlMappingNode)((YamlMappingNode)((YamlMappingNode)root["receivers"])["otlp"])["protocols"];
        Assert.Equal("0.0.0.0:4317", ((YamlScalarNode)((YamlMappingNode)protocols["grpc"])["endpoint"]).Value);
        Assert.Equal("0.0.0.0:4318", ((YamlScalarNode)((YamlMappingNode)protocols["http"])["endpoint"]).Value);
    }
}
