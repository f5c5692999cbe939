using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Seldon.Batch.Dataflow.Server;

/// <summary>
/// Runs the <see cref="DemoModel"/> on one JSON request for either transport: parses it, calls the model,
/// and turns the model's exceptions into an outcome and a Seldon error body.
/// </summary>
internal sealed partial class ModelRunner(DemoModel model, ServerStatistics statistics, ILogger<ModelRunner> logger)
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = DemoModel.MaxDepth };

    /// <summary>Answers a UTF-8 JSON request body.</summary>
    /// <param name="method">Which call the request is.</param>
    /// <param name="body">The request, UTF-8 JSON.</param>
    /// <param name="buffers">Where the answer goes: on success the model's answer, otherwise a Seldon error body.</param>
    /// <param name="problem">What was wrong, when the outcome is not <see cref="ModelOutcome.Answered"/>.</param>
    public ModelOutcome Run(SeldonMethod method, ReadOnlyMemory<byte> body, RequestBuffers buffers, out string? problem)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, DocumentOptions);
        }
        catch (JsonException exception)
        {
            return Reject(buffers, $"The body is not valid JSON: {exception.Message}", out problem);
        }

        using (document)
        {
            return Run(method, document.RootElement, buffers, out problem);
        }
    }

    /// <summary>Answers a JSON request held as text (as Google.Protobuf's JSON formatter produces it).</summary>
    /// <inheritdoc cref="Run(SeldonMethod, ReadOnlyMemory{byte}, RequestBuffers, out string?)"/>
    public ModelOutcome Run(SeldonMethod method, string json, RequestBuffers buffers, out string? problem)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, DocumentOptions);
        }
        catch (JsonException exception)
        {
            return Reject(buffers, $"The message is not valid JSON: {exception.Message}", out problem);
        }

        using (document)
        {
            return Run(method, document.RootElement, buffers, out problem);
        }
    }

    /// <summary>Counts and answers a request that is not a valid message.</summary>
    public ModelOutcome Reject(RequestBuffers buffers, string reason, out string? problem)
    {
        statistics.CountBadRequest();
        LogBadData(logger, reason);
        WriteError(buffers, reason, SeldonStatusBody.BadDataReason);
        problem = reason;
        return ModelOutcome.BadData;
    }

    private ModelOutcome Run(SeldonMethod method, JsonElement request, RequestBuffers buffers, out string? problem)
    {
        try
        {
            Utf8JsonWriter answer = buffers.StartAnswer();
            if (method == SeldonMethod.Predict)
            {
                model.Predict(request, answer);
            }
            else
            {
                model.SendFeedback(request, answer);
            }

            answer.Flush();
            problem = null;
            return ModelOutcome.Answered;
        }
        catch (BadDataException exception)
        {
            return Reject(buffers, exception.Message, out problem);
        }
        catch (ModelFailureException exception)
        {
            LogModelFailure(logger, exception.Message);
            WriteError(buffers, exception.Message, SeldonStatusBody.InternalErrorReason);
            problem = exception.Message;
            return ModelOutcome.ModelFailure;
        }
    }

    private static void WriteError(RequestBuffers buffers, string info, string reason)
    {
        Utf8JsonWriter writer = buffers.StartAnswer();
        SeldonStatusBody.Write(writer, SeldonStatusBody.ModelErrorCode, info, reason);
        writer.Flush();
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Bad request: {Reason}")]
    private static partial void LogBadData(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Model failure: {Reason}")]
    private static partial void LogModelFailure(ILogger logger, string reason);
}
