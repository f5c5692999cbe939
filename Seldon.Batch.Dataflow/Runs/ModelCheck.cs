using Microsoft.Extensions.Logging;

namespace Seldon.Batch.Dataflow;

/// <summary>Before the first line of an Open Inference run: asks whether the model is there and ready, and reads the
/// input's name and datatype from its metadata where the user did not set them.</summary>
internal static class ModelCheck
{
    /// <summary>The block's options to run with, or why the run must not start (an unknown model, a route or a server of
    /// another protocol or transport: no line could succeed), in the library's terms (<c>EndpointSettings.ModelName</c>).
    /// Without an inspector (a run through the caller's own client) the options stay as they are.</summary>
    /// <param name="options">The block's options: the input's name and datatype are filled from the metadata.</param>
    /// <param name="endpoint">The endpoint: its protocol, and the model's name for the log.</param>
    /// <param name="inspector">The run's own client, which can ask; null when the run was given a client.</param>
    /// <param name="logger">Where the model's state is logged.</param>
    /// <param name="ct">Stops asking.</param>
    /// <param name="outputsDeclared">Told the names of the outputs a ready model's metadata declares (a table output
    /// checks its kept columns against them); it may throw to refuse the run.</param>
    public static async Task<(PredictionBlockOptions Options, string? StopReason)> PrepareAsync(
        PredictionBlockOptions options, EndpointSettings endpoint, IModelInspector? inspector, ILogger logger, CancellationToken ct,
        Action<IReadOnlyList<string>>? outputsDeclared = null)
    {
        if (endpoint.Protocol != InferenceProtocol.V2 || inspector is null)
        {
            return (options, null);
        }

        var model = endpoint.Model;

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
            case ModelState.Misconfigured:
                return (options, $"the model cannot be used: {inspection.Detail}");
            case ModelState.NotReady:
                logger.LogWarning("Starting although {Detail}; its requests are retried as any other", inspection.Detail);
                return (options, null);
            case ModelState.Unanswered:
                logger.LogWarning("Could not ask model '{Model}' for its readiness and metadata: {Detail}", model, inspection.Detail);
                return (options, null);
        }

        outputsDeclared?.Invoke(inspection.Outputs ?? []);
        var input = inspection.Inputs.FirstOrDefault(i => options.InputName.Length == 0 || i.Name == options.InputName);
        if (input.Name is null)
        {
            logger.LogInformation("Model '{Model}' is ready; its metadata declares no input{Named}", model,
                options.InputName.Length > 0 ? $" named '{options.InputName}'" : "");
            return (options, null);
        }

        var datatype = options.InputDatatype.Length == 0 && options.DataType == DataType.Data && TensorDatatype.All.Contains(input.Datatype)
            ? input.Datatype
            : options.InputDatatype;
        logger.LogInformation("Model '{Model}' is ready; lines go to its input '{Input}' ({Datatype})", model, input.Name,
            options.DataType == DataType.Data ? (datatype.Length > 0 ? datatype : "datatype from the values") : TensorDatatype.Bytes);
        return (options with { InputName = input.Name, InputDatatype = datatype }, null);
    }
}
