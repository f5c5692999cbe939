using RestSharp;

namespace Seldon.Batch.Dataflow;

// Request headers of both protocols, and the Open Inference model checks over REST.
internal sealed partial class RestPredictionClient
{
    /// <summary>The token, the user's headers, for V2 <c>x-request-id</c> (which MLServer hands to the model), and the W3C
    /// trace context of the attempt's span when there is one.</summary>
    private void AddHeaders(RestRequest rest, string puid)
    {
        if (_settings.Token.Length > 0)
        {
            rest.AddHeader("X-Auth-Token", _settings.Token);
        }

        if (_settings.Protocol == InferenceProtocol.V2)
        {
            rest.AddHeader("x-request-id", puid);
        }

        foreach (var (name, value) in _settings.Headers)
        {
            rest.AddOrUpdateHeader(name, value);
        }

        // Set here, so HttpClient (which adds the current span's only when the request has none) sends this span's, not
        // one of its own: the model server's spans are children of the attempt.
        if (BatchSpans.CurrentRequest is { } span)
        {
            BatchSpans.Inject(span, rest, static (carrier, name, value) => ((RestRequest)carrier!).AddOrUpdateHeader(name, value));
        }
    }

    /// <inheritdoc />
    async Task<ModelInspection> IModelInspector.InspectAsync(CancellationToken cancellationToken)
    {
        var (readyCode, readyBody, readyUrl, readyFailure) = await GetAsync(_route.ModelPath + "/ready", cancellationToken).ConfigureAwait(false);
        if (readyFailure is { } unanswered)
        {
            return unanswered.Cause is { } cause
                ? ModelInspection.Failed(ModelState.Misconfigured, unanswered.Detail + cause)
                : ModelInspection.Failed(ModelState.Unanswered, unanswered.Detail);
        }

        var model = $"model '{_settings.Model}'{(_settings.ModelVersion.Length > 0 ? $" version '{_settings.ModelVersion}'" : "")}";
        var said = OpenInferenceError.DescribeBody(readyBody);
        var answered = $"{readyUrl} answered HTTP {readyCode}{(said.Length > 0 ? ": " + said : "")}";
        if (WrongEndpoint.IsHttp2Only(readyCode, readyBody))
        {
            return ModelInspection.Failed(ModelState.Misconfigured, answered + WrongEndpoint.Http2OnlyCause);
        }

        if (readyCode is < 200 or > 299 && WrongEndpoint.IsSeldonStatus(readyBody))
        {
            return ModelInspection.Failed(ModelState.Misconfigured, answered + WrongEndpoint.SeldonProtocolCause);
        }

        switch (readyCode)
        {
            case 404 when !OpenInferenceError.IsErrorBody(readyBody):
                // Not the model server's own "model not found" but a framework's or a gateway's: the path is wrong.
                return ModelInspection.Failed(ModelState.Misconfigured, answered + WrongEndpoint.UnknownRouteCause);
            case 404:
                return ModelInspection.Failed(ModelState.Unknown, $"{readyUrl} does not know {model}: HTTP 404{(said.Length > 0 ? ": " + said : "")}{WrongEndpoint.UnknownModelCause}");
            case 400 or 503:
                return ModelInspection.Failed(ModelState.NotReady, $"{model} at {readyUrl} is not ready: HTTP {readyCode}{(said.Length > 0 ? ": " + said : "")}");
            case < 200 or > 299:
                return ModelInspection.Failed(ModelState.Unanswered, $"{readyUrl} answered HTTP {readyCode}{(said.Length > 0 ? ": " + said : "")}");
        }

        var (code, body, url, failure) = await GetAsync(_route.ModelPath, cancellationToken).ConfigureAwait(false);
        if (failure is not null || code is < 200 or > 299)
        {
            return ModelInspection.Failed(ModelState.Unanswered, failure?.Detail ?? $"{url} answered HTTP {code}: {OpenInferenceError.DescribeBody(body)}");
        }

        return new ModelInspection(ModelState.Ready, "", ModelMetadata.Inputs(body), ModelMetadata.Outputs(body));
    }

    /// <summary>A GET of the model's own resources: the status and body, or why there is none (and, when waiting will
    /// not fix that, its likely cause).</summary>
    private async Task<(int Code, string? Body, string Url, (string Detail, string? Cause)? Failure)> GetAsync(string path, CancellationToken ct)
    {
        var rest = new RestRequest(path, Method.Get);
        rest.AddHeader(KnownHeaders.Accept, ContentType.Json);
        AddHeaders(rest, RequestIds.Next());
        rest.AdvancedResponseWriter = ReadResponse;
        var response = await _client.ExecuteAsync(rest, ct).ConfigureAwait(false);
        ct.ThrowIfCancellationRequested();
        var url = $"{_route.BaseAddress.GetLeftPart(UriPartial.Authority)}{path}";
        var code = (int)response.StatusCode;
        return response.ResponseStatus == ResponseStatus.Completed || code > 0
            ? (code, TextOf(response), url, null)
            : (0, null, url, ($"no answer from {url}: {Describe(response.ErrorException, response.ErrorMessage)}", ConnectionFailure.Explain(response.ErrorException)));
    }
}
