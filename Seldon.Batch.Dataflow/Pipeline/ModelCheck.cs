using Microsoft.Extensions.Logging;
using Seldon.Batch.Dataflow.Protocol;
using Seldon.Batch.Dataflow.Protocol.OpenInference;
using Seldon.Batch.Dataflow.Transport;

namespace Seldon.Batch.Dataflow.Pipeline;

/// <summary>Before the first line of an Open Inference run: asks whether the model is there and ready, and reads the
/// input's name and datatype from its metadata where the user did not set them.</summary>
internal static class ModelCheck
{
    /// <summary>The options to run with, or why the run must not start (an unknown model: no line could succeed).</summary>
    public static async Task<(BatchOptions Options, string? StopReason)> PrepareAsync(
        BatchOptions options, IPredictionClient client, ILogger logger, CancellationToken ct)
    {
        if (options.Protocol != InferenceProtocol.V2
            || (client is RetryingPredictionClient retrying ? retrying.Inner : client) is not IModelInspector inspector)
        {
            return (options, null);
        }

        ModelInspection inspection;
        try
        {
            inspection = await inspector.InspectAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return (options, null);
        }

        switch (inspection.State)
        {
            case ModelState.Unknown:
                return (options, $"the model is unknown: {inspection.Detail}");
            case ModelState.NotReady:
                logger.LogWarning("Starting although {Detail}; its requests are retried as any other", inspection.Detail);
                return (options, null);
            case ModelState.Unanswered:
                logger.LogWarning("Could not ask model '{Model}' for its readiness and metadata: {Detail}", options.EffectiveModelName, inspection.Detail);
                return (options, null);
        }

        var input = inspection.Inputs.FirstOrDefault(i => options.InputName.Length == 0 || i.Name == options.InputName);
        if (input.Name is null)
        {
            logger.LogInformation("Model '{Model}' is ready; its metadata declares no input{Named}", options.EffectiveModelName,
                options.InputName.Length > 0 ? $" named '{options.InputName}'" : "");
            return (options, null);
        }

        var datatype = options.Datatype.Length == 0 && options.DataType == DataType.Data && TensorDatatype.All.Contains(input.Datatype)
            ? input.Datatype
            : options.Datatype;
        logger.LogInformation("Model '{Model}' is ready; lines go to its input '{Input}' ({Datatype})", options.EffectiveModelName, input.Name,
            options.DataType == DataType.Data ? (datatype.Length > 0 ? datatype : "datatype from the values") : TensorDatatype.Bytes);
        return (options with { InputName = input.Name, Datatype = datatype }, null);
    }
}
