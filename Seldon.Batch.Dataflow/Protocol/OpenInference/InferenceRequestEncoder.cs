using System.Text.Json;
using System.Text.Encodings.Web;

namespace Seldon.Batch.Dataflow;

/// <summary>Turns a group of input lines into Open Inference requests. Consecutive lines that agree on input names,
/// datatypes, inner shapes and parameters are concatenated along the first dimension into one request; a line that
/// does not fit starts the next request, so every request holds a run of lines in input order and none is lost. A line
/// that cannot be read is a member with an encoding error, placed where it stands. Table rows go in one request of their
/// own (<see cref="InferenceRowRequest"/>).</summary>
/// <param name="settings">What the run's lines are and how they are grouped.</param>
/// <param name="newId">Where request ids come from: <see cref="RequestIds.Next"/> when null (tests pass a counter, for
/// stable ids).</param>
internal sealed partial class InferenceRequestEncoder(OpenInferenceSettings settings, Func<string>? newId = null)
{
    /// <summary>The parameters of a text element: MLServer's StringCodec decodes it to a Python str.</summary>
    private static readonly JsonElement StringContent = ParseOnce("{\"content_type\":\"str\"}");

    private readonly Func<string> _newId = newId ?? RequestIds.Next;

    /// <summary>The requests of a group, members in line order across them. Data lines of numbers are scanned without a
    /// document where the scan can tell everything (the document path reads the rest); a group the scan takes whole is
    /// written from its scanned values without an object per line (<see cref="EncodeScanned"/>).</summary>
    public IReadOnlyList<EncodedBatch> Encode(IReadOnlyList<InputLine> lines) =>
        TableRow.AnyIn(lines) ? [InferenceRowRequest.Encode(lines, _newId())]
        : settings.DataType == DataType.Data ? EncodeScanned(lines) ?? Encode(lines, ScannedValues.Start())
        : Encode(lines, scanned: null);

    /// <summary>As <see cref="Encode(IReadOnlyList{InputLine})"/> without the group's shortcut: each line read on its own
    /// (scanned or through a document). Tests hold the shortcut to it byte for byte (ScannedGroupProperties).</summary>
    internal IReadOnlyList<EncodedBatch> EncodeLineByLine(IReadOnlyList<InputLine> lines) =>
        TableRow.AnyIn(lines) ? Encode(lines) : Encode(lines, settings.DataType == DataType.Data ? ScannedValues.Start() : null);

    /// <summary>The general path <see cref="Encode(IReadOnlyList{InputLine})"/> shortcuts: every line read through a
    /// document. Tests hold the scan to it byte for byte (DataLineScanProperties).</summary>
    internal IReadOnlyList<EncodedBatch> EncodeWithDocuments(IReadOnlyList<InputLine> lines) => Encode(lines, scanned: null);

    /// <summary>Writes a request's body from its id and its sent lines, in place of the encoder's own writer.</summary>
    internal delegate byte[] BodyWriter(string id, IReadOnlyList<LineRequest> sent);

    /// <summary>As <see cref="Encode(IReadOnlyList{InputLine})"/>, each request's body written by <paramref name="writer"/>:
    /// tests hold the encoder's writer to a reference writer of their own byte for byte (RequestWriterProperties).</summary>
    internal IReadOnlyList<EncodedBatch> EncodeWith(IReadOnlyList<InputLine> lines, BodyWriter writer) =>
        TableRow.AnyIn(lines) ? Encode(lines) : Encode(lines, settings.DataType == DataType.Data ? ScannedValues.Start() : null, writer);

    private List<EncodedBatch> Encode(IReadOnlyList<InputLine> lines, ScannedValues? scanned, BodyWriter? writer = null)
    {
        // Scanned lines have no document: the list grows only for lines read through one.
        var documents = new List<IDisposable>();
        try
        {
            var batches = new List<EncodedBatch>(1);
            var run = new List<(long Index, string? Error, LineRequest? Request)>(lines.Count);
            var runSends = false;
            string? runKey = null;
            foreach (var line in lines)
            {
                var request = Read(line, documents, scanned, out var error);
                if (request is not null)
                {
                    var fits = request.MergeKey is not null && request.MergeKey == runKey && settings.BatchSize > 1;
                    if (!fits && runSends)
                    {
                        batches.Add(Write(run, writer));
                        run.Clear();
                    }

                    runKey = request.MergeKey;
                    runSends = true;
                }

                // An unreadable line joins the request that stands next to it: its place in the output is kept.
                run.Add((line.Index, error, request));
            }

            if (run.Count > 0)
            {
                batches.Add(Write(run, writer));
            }

            return batches;
        }
        finally
        {
            foreach (var document in documents)
            {
                document.Dispose();
            }
        }
    }

    /// <summary>A group none of whose lines can be sent, each with <paramref name="reason"/>: the block could not encode
    /// them (<see cref="LineFailureKind.NotSent"/>).</summary>
    public EncodedBatch Unsendable(IReadOnlyList<InputLine> lines, string reason)
    {
        var id = _newId();
        var members = lines.Select((line, n) => new BatchMember(line.Index, lines.Count == 1 ? id : $"{id}-item-{n}") { EncodingError = reason, EncodingErrorKind = LineFailureKind.NotSent }).ToList();
        return new EncodedBatch(members, null, id) { IsSplit = lines.Count > 1 };
    }

    /// <summary>One request of a run of lines (unreadable ones among them stay members, unsent).</summary>
    private EncodedBatch Write(List<(long Index, string? Error, LineRequest? Request)> run, BodyWriter? writer)
    {
        var id = _newId();
        var members = new List<BatchMember>(run.Count);
        LineRequest? first = null;
        var sent = 0;
        var rows = 0L;
        for (var n = 0; n < run.Count; n++)
        {
            var (index, error, request) = run[n];
            // A line of a merged request keeps the request id and its item: the instance id is made only when read
            // (most split lines write it from its parts, see LineTemplate).
            var member = run.Count == 1 ? new BatchMember(index, id) : new BatchMember(index, id, n);
            member.EncodingError = error;
            member.LineId = request?.Id;
            if (request is not null)
            {
                member.Rows = (int)Math.Max(0, request.Rows);
                member.InferenceId = id;
                first ??= request;
                sent++;
                rows += request.Rows;
            }

            members.Add(member);
        }

        // The first dimension of each input of a request of one line is its own; of several lines, the sum of their rows.
        var body = first is null ? null
            : writer is not null ? writer(id, [.. run.Where(r => r.Request is not null).Select(r => r.Request!)])
            : SeldonJson.WriteUtf8Object((this, id, run, first, sent == 1 ? -1 : rows), static (w, s) => s.Item1.WriteRequest(w, s.id, s.run, s.first, s.Item5));
        return EncodedBatch.OfUtf8(members, body, id, sent > 1);
    }

    // The property names of a request, escaped once.
    private static readonly JsonEncodedText IdName = JsonEncodedText.Encode("id");
    private static readonly JsonEncodedText ParametersName = JsonEncodedText.Encode("parameters");
    private static readonly JsonEncodedText InputsName = JsonEncodedText.Encode("inputs");
    private static readonly JsonEncodedText OutputsName = JsonEncodedText.Encode("outputs");
    private static readonly JsonEncodedText NameName = JsonEncodedText.Encode("name");
    private static readonly JsonEncodedText ShapeName = JsonEncodedText.Encode("shape");
    private static readonly JsonEncodedText DatatypeName = JsonEncodedText.Encode("datatype");
    private static readonly JsonEncodedText DataName = JsonEncodedText.Encode("data");

    /// <summary>Every datatype's name as the writer escapes it (none has anything to escape).</summary>
    private static readonly System.Collections.Frozen.FrozenDictionary<string, JsonEncodedText> DatatypeTexts =
        System.Collections.Frozen.FrozenDictionary.ToFrozenDictionary(TensorDatatype.All, d => d, d => JsonEncodedText.Encode(d, SeldonJson.WriterOptions.Encoder), StringComparer.Ordinal);

    // The run's input name (that of every data, str and json line) as the writer escapes it, escaped once.
    private readonly JsonEncodedText _inputNameText = JsonEncodedText.Encode(settings.InputName, SeldonJson.WriterOptions.Encoder);

    /// <summary>The request of the sent lines of <paramref name="run"/> (<paramref name="first"/> the first of them),
    /// <paramref name="rows"/> along the first dimension (-1: one line, each input's own): the bytes the writer's string
    /// calls would write, with the names the encoder knows escaped once.</summary>
    private void WriteRequest(Utf8JsonWriter w, string id, List<(long Index, string? Error, LineRequest? Request)> run, LineRequest first, long rows)
    {
        SeldonJson.WritePlainString(w, IdName, id);
        if (first.Parameters.ValueKind != JsonValueKind.Undefined)
        {
            w.WritePropertyName(ParametersName);
            first.Parameters.WriteTo(w);
        }

        w.WriteStartArray(InputsName);
        for (var i = 0; i < first.Inputs.Count; i++)
        {
            var input = first.Inputs[i];
            w.WriteStartObject();
            WriteText(w, NameName, input.Name, ReferenceEquals(input.Name, settings.InputName) ? _inputNameText : null);
            w.WriteStartArray(ShapeName);
            w.WriteNumberValue(rows < 0 ? input.Shape[0] : rows);
            for (var k = 1; k < input.Shape.Length; k++)
            {
                w.WriteNumberValue(input.Shape[k]);
            }

            w.WriteEndArray();
            WriteText(w, DatatypeName, input.Datatype, DatatypeTexts.TryGetValue(input.Datatype, out var datatype) ? datatype : null);
            if (input.Parameters.ValueKind != JsonValueKind.Undefined)
            {
                w.WritePropertyName(ParametersName);
                input.Parameters.WriteTo(w);
            }

            w.WriteStartArray(DataName);
            foreach (var (_, _, line) in run)
            {
                line?.Inputs[i].WriteValues(w);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        if (first.Outputs.ValueKind != JsonValueKind.Undefined)
        {
            w.WritePropertyName(OutputsName);
            first.Outputs.WriteTo(w);
        }
    }

    /// <summary>A string property, from its <paramref name="escaped"/> text when known (the same bytes).</summary>
    private static void WriteText(Utf8JsonWriter w, JsonEncodedText name, string value, JsonEncodedText? escaped)
    {
        if (escaped is { } text)
        {
            w.WriteString(name, text);
        }
        else
        {
            w.WriteString(name, value);
        }
    }

    /// <summary>Reads one line as the data type says; null with <paramref name="error"/> when it cannot be sent.</summary>
    private LineRequest? Read(InputLine line, List<IDisposable> documents, ScannedValues? scanned, out string? error)
    {
        error = line.Failure;
        if (error is not null)
        {
            return null;
        }

        try
        {
            return settings.DataType switch
            {
                DataType.Data when scanned is not null && Scan(line, scanned) is { } request => request,
                DataType.Raw => ReadRequest(Parse(line.Text, documents), out error),
                DataType.Data => ReadArray(Parse(line.Text, documents), out error),
                DataType.Str => Element(Text(MicroBatchEncoder.ReadText(line.Text), documents), StringContent),
                _ => Element(Text(CompactJson(Parse(line.Text, documents)), documents), StringContent),
            };
        }
        catch (JsonException ex)
        {
            error = $"invalid JSON: {ex.Message}";
            return null;
        }
    }

    private static JsonElement ParseOnce(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    // Per thread, reused line after line: what the scan learns of a line's values.
    [ThreadStatic]
    private static TensorScan? t_scan;

    /// <summary>A data line of numbers (or booleans) scanned without a document, when the scan can tell everything the
    /// document path would (shape, datatype, that every value fits it); null for that path to read it.</summary>
    private LineRequest? Scan(InputLine line, ScannedValues scanned)
    {
        var scan = t_scan ??= new TensorScan();
        if (!NdarrayScanner.TryScanTensor(line, scan, out var bytes, out var dimensions))
        {
            return null;
        }

        string? datatype;
        (int Start, int End) values = default;
        try
        {
            // The values are copied out at once, so the scanner's bytes go back to the pool here.
            datatype = scan.Datatype(settings.Datatype, dimensions.Length);
            if (datatype is not null)
            {
                values = scanned.Add(bytes, scan.Bounds);
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(bytes);
        }

        if (datatype is null)
        {
            return null;
        }

        return new LineRequest([new LineTensor(settings.InputName, datatype, ShapeOf(dimensions), scanned, values.Start, values.End)], default, default, null);
    }

    // The shape of the last scanned line: the next line of the same shape, as most are, shares the array (shapes are
    // never changed once made).
    [ThreadStatic]
    private static long[]? t_lastShape;

    private static long[] ShapeOf(ReadOnlySpan<int> dimensions)
    {
        if (t_lastShape is { } last && last.Length == dimensions.Length)
        {
            var same = true;
            for (var k = 0; k < last.Length && same; k++)
            {
                same = last[k] == dimensions[k];
            }

            if (same)
            {
                return last;
            }
        }

        var shape = new long[dimensions.Length];
        for (var k = 0; k < shape.Length; k++)
        {
            shape[k] = dimensions[k];
        }

        return t_lastShape = shape;
    }

    private static JsonElement Parse(string text, List<IDisposable> documents)
    {
        var document = SeldonJson.ParseDocument(text);
        documents.Add(document);
        return document.RootElement;
    }

    /// <summary>A JSON string element holding <paramref name="text"/>.</summary>
    private static JsonElement Text(string text, List<IDisposable> documents) =>
        Parse($"\"{JsonEncodedText.Encode(text, JavaScriptEncoder.UnsafeRelaxedJsonEscaping)}\"", documents);

    /// <summary>The value as compact JSON text: written as the one property of an object, which is then cut away.</summary>
    private static string CompactJson(JsonElement value) => SeldonJson.WriteObject(value, static (w, v) =>
    {
        w.WritePropertyName("v");
        v.WriteTo(w);
    })[5..^1];

    /// <summary>str and json lines: one BYTES element, with the content type MLServer's string codec reads.</summary>
    private LineRequest Element(JsonElement text, JsonElement contentType)
    {
        var tensor = new LineTensor(settings.InputName, TensorDatatype.Bytes, [1], [text], contentType);
        return new LineRequest([tensor], default, default, null);
    }

    /// <summary>data lines: the array is one tensor, its shape read from the nesting.</summary>
    private LineRequest? ReadArray(JsonElement root, out string? error)
    {
        if (root.ValueKind != JsonValueKind.Array)
        {
            error = $"invalid line: --data-type data needs a JSON array, not {SeldonJson.Describe(root)}";
            return null;
        }

        var values = new List<JsonElement>();
        var shape = LineTensor.ShapeOf(root, values, out error);
        if (shape is null)
        {
            error = $"invalid line: {error}";
            return null;
        }

        var datatype = settings.Datatype ?? TensorDatatype.Infer(values, out error);
        if (datatype is null || (error = RefuseValues(settings.InputName, datatype, values)) is not null)
        {
            error = $"invalid line: {error}";
            return null;
        }

        return new LineRequest([new LineTensor(settings.InputName, datatype, shape, values, default)], default, default, null);
    }

    /// <summary>raw lines: an InferenceRequest, checked as far as the answer must be split by it.</summary>
    private static LineRequest? ReadRequest(JsonElement root, out string? error)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            error = $"invalid line: an InferenceRequest is a JSON object, not {SeldonJson.Describe(root)}";
            return null;
        }

        if (!ReadFields(root, out var fields, out error))
        {
            return null;
        }

        if (fields.Inputs.ValueKind != JsonValueKind.Array || fields.Inputs.GetArrayLength() == 0)
        {
            error = "invalid line: an InferenceRequest needs \"inputs\", a non-empty array";
            return null;
        }

        var tensors = new List<LineTensor>();
        foreach (var input in fields.Inputs.EnumerateArray())
        {
            var tensor = ReadInput(input, tensors.Count, out error);
            if (tensor is null)
            {
                error = $"invalid line: {error}";
                return null;
            }

            tensors.Add(tensor);
        }

        return new LineRequest(tensors, fields.Parameters, fields.Outputs, fields.Id);
    }

    /// <summary>The fields of an InferenceRequest this client reads; any of them may be missing or null.</summary>
    private readonly record struct RequestFields(string? Id, JsonElement Parameters, JsonElement Outputs, JsonElement Inputs);

    /// <summary>Finds the request's own fields; false with <paramref name="error"/> when one of them is of the wrong kind.</summary>
    private static bool ReadFields(JsonElement root, out RequestFields fields, out string? error)
    {
        error = null;
        fields = default;
        foreach (var property in root.EnumerateObject())
        {
            switch (property.Name)
            {
                case "id" when property.Value.ValueKind == JsonValueKind.String:
                    fields = fields with { Id = property.Value.GetString() };
                    break;
                case "parameters" when property.Value.ValueKind == JsonValueKind.Object:
                    fields = fields with { Parameters = property.Value };
                    break;
                case "outputs" when property.Value.ValueKind == JsonValueKind.Array:
                    fields = fields with { Outputs = property.Value };
                    break;
                case "inputs" when property.Value.ValueKind == JsonValueKind.Array:
                    fields = fields with { Inputs = property.Value };
                    break;
                case "id" or "parameters" or "outputs" or "inputs":
                    if (property.Value.ValueKind != JsonValueKind.Null)
                    {
                        error = $"invalid line: \"{property.Name}\" is {SeldonJson.Describe(property.Value)}";
                        return false;
                    }

                    break;
                default:
                    // Extensions a server may read (Triton's binary_data_output…) are not this client's to judge, but
                    // they cannot be merged: sent, they would describe only one line of the request.
                    break;
            }
        }

        return true;
    }

    private static LineTensor? ReadInput(JsonElement input, int position, out string? error)
    {
        error = null;
        if (input.ValueKind != JsonValueKind.Object)
        {
            error = $"input {position} is {SeldonJson.Describe(input)}, not an object";
            return null;
        }

        var name = input.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()! : null;
        if (string.IsNullOrEmpty(name))
        {
            error = $"input {position} has no \"name\"";
            return null;
        }

        if (!input.TryGetProperty("datatype", out var d) || d.ValueKind != JsonValueKind.String || !TensorDatatype.All.Contains(d.GetString()!))
        {
            error = $"input '{name}' has no valid \"datatype\" (one of {string.Join(", ", TensorDatatype.All)})";
            return null;
        }

        if (!input.TryGetProperty("shape", out var s) || s.ValueKind != JsonValueKind.Array
            || !s.EnumerateArray().All(x => x.ValueKind == JsonValueKind.Number && x.TryGetInt64(out var v) && v >= 0))
        {
            error = $"input '{name}' has no valid \"shape\" (a list of sizes)";
            return null;
        }

        if (!input.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
        {
            error = $"input '{name}' has no \"data\" array";
            return null;
        }

        var shape = s.EnumerateArray().Select(x => x.GetInt64()).ToArray();
        var values = new List<JsonElement>();
        LineTensor.Flatten(data, values);
        var expected = shape.Aggregate(1L, (a, x) => a * x);
        if (values.Count != expected)
        {
            error = $"input '{name}' has {values.Count} values for shape [{string.Join(',', shape)}], which needs {expected}";
            return null;
        }

        var datatype = d.GetString()!;
        if ((error = RefuseValues(name, datatype, values)) is not null)
        {
            return null;
        }

        input.TryGetProperty("parameters", out var parameters);
        return new LineTensor(name, datatype, shape, values, parameters.ValueKind == JsonValueKind.Object ? parameters : default);
    }

    private static string? RefuseValues(string name, string datatype, List<JsonElement> values)
    {
        foreach (var value in values)
        {
            if (TensorDatatype.Refuse(datatype, value) is { } refusal)
            {
                return $"input '{name}': {refusal}";
            }
        }

        return null;
    }
}
