using k8s;
using k8s.Models;

namespace Seldon.Batch.Dataflow.Cli.Tests;

/// <summary>The manifests in deploy/ load with KubernetesClient's strict YAML deserialisation (an unknown or misspelt
/// field fails), and say what docs/kubernetes.md says they do.</summary>
public sealed class DeployManifestTests
{
    private static string Manifest(string relative)
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (folder is not null && !Directory.Exists(Path.Combine(folder.FullName, "deploy")))
        {
            folder = folder.Parent;
        }

        return File.ReadAllText(Path.Combine(folder?.FullName ?? throw new DirectoryNotFoundException("no deploy/ folder above the tests"), "deploy", relative));
    }

    private static Dictionary<string, string?> Environment(V1Container container) => container.Env.ToDictionary(e => e.Name, e => (string?)e.Value);

    [Fact]
    public void The_indexed_job_is_strictly_valid_and_fails_an_index_only_on_bad_settings()
    {
        var job = KubernetesYaml.Deserialize<V1Job>(Manifest("kubernetes/indexed-job.yaml"), strict: true);

        Assert.Equal("batch/v1", job.ApiVersion);
        Assert.Equal("Job", job.Kind);
        Assert.Equal("Indexed", job.Spec.CompletionMode);
        Assert.True(job.Spec.BackoffLimitPerIndex > 0);
        var container = Assert.Single(job.Spec.Template.Spec.Containers);
        var env = Environment(container);
        Assert.Equal(job.Spec.Completions?.ToString(System.Globalization.CultureInfo.InvariantCulture), env["SELDON_BATCH_SHARD_COUNT"]);
        Assert.DoesNotContain("SELDON_BATCH_SHARD_INDEX", env.Keys); // JOB_COMPLETION_INDEX gives it
        Assert.Contains("--resume", container.Args);
        Assert.StartsWith("s3://", env["SELDON_BATCH_INPUT_DATA_PATH"]);
        Assert.StartsWith("s3://", env["SELDON_BATCH_OUTPUT_DATA_PATH"]);
        Assert.Contains("SELDON_BATCH_WAIT_READY", env.Keys);
        Assert.Equal("seldon-batch-s3", container.Env.Single(e => e.Name == "AWS_SECRET_ACCESS_KEY").ValueFrom.SecretKeyRef.Name);
        Assert.True(job.Spec.Template.Spec.TerminationGracePeriodSeconds > double.Parse(env["SELDON_BATCH_SHUTDOWN_TIMEOUT"]!, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("Never", job.Spec.Template.Spec.RestartPolicy);

        var rules = job.Spec.PodFailurePolicy.Rules;
        var failIndex = Assert.Single(rules, r => r.Action == "FailIndex");
        Assert.Equal([ExitCodes.InvalidSettings], failIndex.OnExitCodes.Values);
        Assert.Equal(container.Name, failIndex.OnExitCodes.ContainerName);
        var ignore = Assert.Single(rules, r => r.Action == "Ignore");
        Assert.Equal("DisruptionTarget", Assert.Single(ignore.OnPodConditions).Type);
    }

    [Fact]
    public void The_merge_job_is_strictly_valid_and_matches_the_indexed_job()
    {
        var job = KubernetesYaml.Deserialize<V1Job>(Manifest("kubernetes/indexed-job.yaml"), strict: true);
        var merge = KubernetesYaml.Deserialize<V1Job>(Manifest("kubernetes/merge-job.yaml"), strict: true);

        var shard = Environment(job.Spec.Template.Spec.Containers[0]);
        var container = Assert.Single(merge.Spec.Template.Spec.Containers);
        var env = Environment(container);
        Assert.Equal(["merge"], container.Args);
        Assert.Equal(shard["SELDON_BATCH_OUTPUT_DATA_PATH"], env["SELDON_BATCH_OUTPUT_DATA_PATH"]);
        Assert.Equal(shard["SELDON_BATCH_SHARD_COUNT"], env["SELDON_BATCH_SHARD_COUNT"]);
        Assert.Equal(shard["SELDON_BATCH_S3_ENDPOINT"], env["SELDON_BATCH_S3_ENDPOINT"]);
    }

    [Fact]
    public void A_misspelt_field_fails_strict_deserialisation()
    {
        var misspelt = Manifest("kubernetes/indexed-job.yaml").Replace("backoffLimitPerIndex:", "backofLimitPerIndex:", StringComparison.Ordinal);
        var misplaced = Manifest("argo/batch-workflow.yaml").Replace("      retryStrategy:", "      retryStrateg:", StringComparison.Ordinal);

        Assert.ThrowsAny<Exception>(() => KubernetesYaml.Deserialize<V1Job>(misspelt, strict: true));
        Assert.ThrowsAny<Exception>(() => KubernetesYaml.Deserialize<ArgoWorkflow>(misplaced, strict: true));
    }

    [Fact]
    public void The_argo_workflow_creates_the_model_runs_the_shards_merges_and_always_deletes_the_model()
    {
        var workflow = KubernetesYaml.Deserialize<ArgoWorkflow>(Manifest("argo/batch-workflow.yaml"), strict: true);

        Assert.Equal("argoproj.io/v1alpha1", workflow.ApiVersion);
        Assert.Equal("Workflow", workflow.Kind);
        var spec = workflow.Spec!;
        var templates = spec.Templates!.ToDictionary(t => t.Name!);
        var steps = templates[spec.Entrypoint!].Steps!.Select(group => Assert.Single(group)).ToList();
        Assert.Equal(["create-deployment", "shard", "merge"], steps.Select(s => s.Template));
        Assert.Equal("{{workflow.parameters.shards}}", steps[1].WithSequence!.Count);
        Assert.Contains(spec.Arguments!.Parameters!, p => p.Name == "shards");

        var create = templates["create-deployment"].Resource!;
        var delete = templates[spec.OnExit!].Resource!;
        Assert.Equal("create", create.Action);
        Assert.Equal("delete", delete.Action);
        Assert.Contains("kind: SeldonDeployment", create.Manifest);
        Assert.Contains("kind: SeldonDeployment", delete.Manifest);

        var shard = templates["shard"];
        Assert.Equal(["--resume", "--shard-index", "{{inputs.parameters.index}}"], shard.Container!.Args);
        Assert.Contains("!= 2", shard.RetryStrategy!.Expression);
        Assert.Contains("terminationGracePeriodSeconds", shard.PodSpecPatch);
        var env = Environment(shard.Container);
        Assert.Equal("{{workflow.parameters.shards}}", env["SELDON_BATCH_SHARD_COUNT"]);
        Assert.Contains("SELDON_BATCH_WAIT_READY", env.Keys);
        var merge = templates["merge"].Container!;
        Assert.Equal(["merge"], merge.Args);
        Assert.Equal(env, Environment(merge));
        Assert.All(new[] { shard.Container, merge }, c => Assert.Equal("seldon-batch-processor:latest", c.Image));
    }
}
