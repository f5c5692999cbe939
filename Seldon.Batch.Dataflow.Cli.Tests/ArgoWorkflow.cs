using k8s.Models;

namespace Seldon.Batch.Dataflow.Cli.Tests;

// Argo's Workflow is a custom resource: KubernetesClient has no type for it. These few classes hold exactly the
// fields deploy/argo/batch-workflow.yaml uses, named as in Argo's schema, so strict deserialisation rejects a
// misspelt or misplaced field there just as it does for the Job (and the container is KubernetesClient's own V1Container).

/// <summary>An Argo Workflow (argoproj.io/v1alpha1), the fields the project's manifest uses.</summary>
public sealed class ArgoWorkflow
{
    public string? ApiVersion { get; set; }

    public string? Kind { get; set; }

    public V1ObjectMeta? Metadata { get; set; }

    public ArgoWorkflowSpec? Spec { get; set; }
}

/// <summary>The workflow's spec.</summary>
public sealed class ArgoWorkflowSpec
{
    public string? Entrypoint { get; set; }

    public string? ServiceAccountName { get; set; }

    public string? OnExit { get; set; }

    public ArgoArguments? Arguments { get; set; }

    public List<ArgoTemplate>? Templates { get; set; }
}

/// <summary>Parameters given to a workflow or a step.</summary>
public sealed class ArgoArguments
{
    public List<ArgoParameter>? Parameters { get; set; }
}

/// <summary>One named parameter.</summary>
public sealed class ArgoParameter
{
    public string? Name { get; set; }

    public string? Value { get; set; }
}

/// <summary>A template: steps, a Kubernetes resource action, or a container.</summary>
public sealed class ArgoTemplate
{
    public string? Name { get; set; }

    public ArgoArguments? Inputs { get; set; }

    public List<List<ArgoStep>>? Steps { get; set; }

    public ArgoResource? Resource { get; set; }

    public ArgoRetryStrategy? RetryStrategy { get; set; }

    public string? PodSpecPatch { get; set; }

    public V1Container? Container { get; set; }
}

/// <summary>A step of a steps template.</summary>
public sealed class ArgoStep
{
    public string? Name { get; set; }

    public string? Template { get; set; }

    public ArgoArguments? Arguments { get; set; }

    public ArgoSequence? WithSequence { get; set; }
}

/// <summary>A fan-out over 0..count-1.</summary>
public sealed class ArgoSequence
{
    public string? Count { get; set; }
}

/// <summary>A Kubernetes resource created or deleted by the workflow.</summary>
public sealed class ArgoResource
{
    public string? Action { get; set; }

    public string? Manifest { get; set; }
}

/// <summary>How a failed step is retried.</summary>
public sealed class ArgoRetryStrategy
{
    public string? Limit { get; set; }

    public string? RetryPolicy { get; set; }

    public string? Expression { get; set; }
}
