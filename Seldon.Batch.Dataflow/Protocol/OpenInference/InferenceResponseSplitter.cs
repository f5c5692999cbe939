using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace Seldon.Batch.Dataflow;

/// <summary>Writes the output lines of an Open Inference request: the answer cut into each line's rows (every output
/// has the request's rows as its first dimension), with <c>batch_id</c>, <c>batch_index</c>, <c>batch_instance_id</c>
/// and <c>inference_id</c> in <c>parameters</c> and the line's own <c>id</c> kept; and error records in the shape of
/// <c>mlserver infer</c>'s (<c>parameters</c> and <c>error</c>).</summary>
internal sealed partial class InferenceResponseSplitter(string batchId) : IErrorRecords
{
    /// <summary>Code of a line that was never sent because it could not be encoded.</summary>
    public const int UnsentCode = RequestFailure.UnsentCode;

    /// <summary>Code of an answer that came but cannot be used.</summary>
    public const int UnusableCode = 502;

    private static readonly JsonEncodedText InferenceIdName = JsonEncodedText.Encode(InferenceIdTag);

    // The run's batch id, escaped once rather than once per output line.
    private readonly JsonEncodedText _batchIdText = JsonEncodedText.Encode(batchId, SeldonJson.WriterOptions.Encoder);

    /// <summary>The output lines of a request: the answer's lines, or an error record per line. The lines of a split
    /// answer are filled into its <see cref="LineTemplate"/> where they can be.</summary>
    /// <param name="batch">The encoded request.</param>
    /// <param name="answer">The model's answer body, when it answered with success.</param>
    /// <param name="failure">Why the request failed; null when it succeeded.</param>
    public InstanceResult[] Compose(EncodedBatch batch, AnswerBody answer, RequestFailure? failure) =>
        Compose(batch, answer, failure, fillTemplates: true);

    /// <summary>The general path <see cref="Compose(EncodedBatch, AnswerBody, RequestFailure?)"/> shortcuts: every line written
    /// by the line writer. Tests hold the templates to it byte for byte (SplitTemplateProperties).</summary>
    internal InstanceResult[] ComposeWithoutTemplates(EncodedBatch batch, AnswerBody answer, RequestFailure? failure) =>
        Compose(batch, answer, failure, fillTemplates: false);

    private InstanceResult[] Compose(EncodedBatch batch, AnswerBody answer, RequestFailure? failure, bool fillTemplates)
    {
        if (failure is null && batch.HasRequest)
        {
            // An answer of the remembered one's shape is written from its templates without a document.
            if (fillTemplates && TakeRemembered(batch, answer) is { } remembered)
            {
                return remembered;
            }

            JsonDocument? document = null;
            string? unusable;
            try
            {
                // The answer's bytes are parsed in place; text (a string client's, bytes that were not UTF-8) as before.
                document = answer.IsBlank ? null
                    : answer.IsUtf8 ? JsonDocument.Parse(answer.Utf8, SeldonJson.DocumentOptions)
                    : JsonDocument.Parse(answer.Text!, SeldonJson.DocumentOptions);
                unusable = Split(batch, document?.RootElement ?? default, fillTemplates, out var results);
                if (unusable is null)
                {
                    return results!;
                }
            }
            catch (JsonException ex)
            {
                unusable = $"unusable answer: the model's answer is not JSON: {ex.Message}";
            }
            finally
            {
                document?.Dispose();
            }

            failure = new RequestFailure(LineFailureKind.UnusableAnswer, UnusableCode, unusable);
        }

        return MemberLines.ErrorRecords(this, batch, failure);
    }

    /// <summary>An error record: the line's id, the batch tags, and what happened (the failure's category as status, the
    /// code, the reason).</summary>
    public InstanceResult ErrorRecord(BatchMember member, RequestFailure failure)
    {
        var lineFailure = new LineFailure(member.Index, failure);
        var line = SeldonJson.WriteObject((this, member, lineFailure), static (w, s) =>
        {
            if (s.member.LineId is not null)
            {
                w.WriteString("id", s.member.LineId);
            }

            w.WriteStartObject("parameters");
            s.Item1.WriteTags(w, s.member);
            w.WriteEndObject();
            w.WriteStartObject("error");
            w.WriteString("status", s.lineFailure.Category);
            w.WriteNumber("code", s.lineFailure.Status);
            w.WriteString("msg", s.lineFailure.Reason);
            w.WriteEndObject();
        });
        return new InstanceResult(member.Index, line, lineFailure);
    }

    /// <summary>Writes the batch tags; into a <paramref name="template"/>, the index and the instance id are holes.</summary>
    private void WriteTags(Utf8JsonWriter w, BatchMember member, LineTemplate? template = null)
    {
        w.WriteString(BatchTags.BatchIdName, _batchIdText);
        if (template is null)
        {
            w.WriteNumber(BatchTags.BatchIndexName, member.Index);
            SeldonJson.WritePlainString(w, BatchTags.BatchInstanceIdName, member.InstanceId);
        }
        else
        {
            w.WritePropertyName(BatchTags.BatchIndexName);
            template.Hole(w, LineTemplate.Part.Index, "0"u8);
            w.WritePropertyName(BatchTags.BatchInstanceIdName);
            template.Hole(w, LineTemplate.Part.InstanceId, "\"\""u8);
        }

        if (member.InferenceId is not null)
        {
            if (template is null)
            {
                SeldonJson.WritePlainString(w, InferenceIdName, member.InferenceId);
            }
            else
            {
                w.WritePropertyName(InferenceIdName);
                template.Hole(w, LineTemplate.Part.InferenceId, "\"\""u8);
            }
        }
    }

    /// <summary>The parameter naming the id of the request a line was sent in, as <c>mlserver infer</c> names it.</summary>
    public const string InferenceIdTag = "inference_id";

    /// <summary>The output lines of a successful answer, or why it cannot be split.</summary>
    private string? Split(EncodedBatch batch, JsonElement response, bool fillTemplates, out InstanceResult[]? results)
    {
        results = null;
        if (response.ValueKind != JsonValueKind.Object)
        {
            return $"unusable answer: the model's answer is not a JSON object but {(response.ValueKind == JsonValueKind.Undefined ? "empty" : SeldonJson.Describe(response))}";
        }

        if (!response.TryGetProperty("outputs", out var outputsElement) || outputsElement.ValueKind != JsonValueKind.Array)
        {
            return "unusable answer: the model's answer has no \"outputs\" array";
        }

        if (ReadOutputs(batch, outputsElement, out var outputs) is { } problem)
        {
            return problem;
        }

        // What the lines copy from the answer is found (and, for several lines, written once) when a line first needs
        // it: never, when every line takes a template remembered from an earlier answer.
        var shared = new LazyShared(response, outputs, prerender: batch.Members.Count > 1);

        // Where the lines differ only in their index, instance id, ids and rows, the whole line is written once, as a
        // template (one for the lines without an id, one for those with one), and each line fills its holes. A model
        // answers every request in the same shape: when this answer's bytes but its id and data are the last
        // template's answer's, so are its templates, and they are taken as they are.
        // An answer that is not split (one line) has its templates too, its outputs written whole with their data a hole.
        var whole = batch.Members.Count == 1 && !batch.IsSplit;
        ref var last = ref whole ? ref _rememberedWhole : ref _remembered;
        Templates? templates = null;
        if (fillTemplates && (whole || (batch.Members.Count > 1 && batch.IsSplit)))
        {
            var known = Volatile.Read(ref last);
            templates = new Templates(this, shared, outputs, whole, known is not null && known.Fits(response, outputs) ? known : null);
        }

        results = MemberLines.Split(this, batch, new SplitLine(this, shared, outputs, templates, batch.IsSplit));
        if (templates?.ToRemember(response) is { } remembered)
        {
            Volatile.Write(ref last, remembered);
        }

        return null;
    }

    /// <summary>The answer's outputs, or why they cannot be split: in a split answer, each must have the request's rows
    /// as its first dimension and as many values as its shape says.</summary>
    private static string? ReadOutputs(EncodedBatch batch, JsonElement outputsElement, out List<AnswerTensor> outputs)
    {
        long total = batch.SentRows;

        outputs = [];
        foreach (var output in outputsElement.EnumerateArray())
        {
            var tensor = AnswerTensor.Read(output, flatten: batch.IsSplit, out var problem);
            if (tensor is null)
            {
                return $"unusable answer: {problem}";
            }

            if (batch.IsSplit && (tensor.Shape.Length == 0 || tensor.Shape[0] != total))
            {
                return $"unusable answer: output '{tensor.Name}' has shape [{string.Join(',', tensor.Shape)}], without the first dimension of {total} rows that the request's inputs had, so it cannot be split into the {batch.Members.Count(m => m.IsSent)} lines of the micro-batch";
            }

            if (batch.IsSplit && tensor.Values.Count != tensor.Shape.Aggregate(1L, (a, d) => a * d))
            {
                return $"unusable answer: output '{tensor.Name}' has {tensor.Values.Count} values for shape [{string.Join(',', tensor.Shape)}]";
            }

            outputs.Add(tensor);
        }

        return null;
    }

    /// <summary>The line of one sent member: its rows of the answer, filled into a template where one fits, else written
    /// by the line writer.</summary>
    private readonly struct SplitLine(InferenceResponseSplitter splitter, LazyShared shared, List<AnswerTensor> outputs, Templates? templates, bool isSplit) : IMemberLine
    {
        // Inlined into the loop compiled for this struct, its fields stay in registers as the loop's own locals did.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Write(AnswerLines lines, int slot, BatchMember member, int offset)
        {
            var from = isSplit ? offset : -1L;
            if (templates?.For(member, from) is { } template)
            {
                var (id, item) = member.TemplateId;
                lines.Write(slot, member.Index, template, id, item, new LineFiller(outputs, from, member.Rows, member.LineId, member.InferenceId!));
            }
            else
            {
                lines.Write(slot, member.Index, (splitter, shared: shared.Value, outputs, member, offset: from), static (w, answer, s) =>
                    s.splitter.WriteAnswer(w, answer, s.shared, s.outputs, s.member, s.offset));
            }
        }
    }

    /// <summary>One line's answer, its <c>outputs</c> marked on <paramref name="answer"/>; <paramref name="offset"/> is its
    /// first row, or -1 for the whole answer. Into a <paramref name="template"/>, the line's index, instance id, id and rows
    /// are holes.</summary>
    private void WriteAnswer(Utf8JsonWriter w, AnswerSpan answer, SharedFields shared, List<AnswerTensor> outputs, BatchMember member, long offset, LineTemplate? template = null)
    {
        shared.Head.WriteTo(w);
        if (member.LineId is not null)
        {
            if (template is null)
            {
                w.WriteString("id"u8, member.LineId);
            }
            else
            {
                w.WritePropertyName("id"u8);
                template.Hole(w, LineTemplate.Part.LineId, "\"\""u8);
            }
        }

        w.WriteStartObject("parameters"u8);
        shared.Parameters.WriteTo(w);
        WriteTags(w, member, template);
        w.WriteEndObject();
        w.WritePropertyName("outputs"u8);
        answer.Open(w);
        w.WriteStartArray();
        for (var k = 0; k < outputs.Count; k++)
        {
            outputs[k].WriteRows(w, offset, member.Rows, template, k);
        }

        w.WriteEndArray();
        answer.Close(w);
        shared.Others.WriteTo(w);
    }

    /// <summary>The <see cref="SharedFields"/> of an answer, with its outputs prerendered when it has several lines, made
    /// when a line first needs them.</summary>
    private sealed class LazyShared(JsonElement response, List<AnswerTensor> outputs, bool prerender)
    {
        private SharedFields? _value;

        public SharedFields Value => _value ??= Make();

        private SharedFields Make()
        {
            var shared = new SharedFields(response, prerender ? new SharedJson() : null);
            if (shared.Json is { } json)
            {
                foreach (var output in outputs)
                {
                    output.Prerender(json);
                }
            }

            return shared;
        }
    }

    /// <summary>The answer's fields every line copies, found once per answer rather than once per line, and written once
    /// when a <see cref="SharedJson"/> is given (an answer of several lines).</summary>
    private sealed class SharedFields
    {
        /// <summary>Sorts the answer's fields in one pass over them (this runs once per answer: enumerating the object
        /// three times over, through LINQ, was a few per cent of the client's CPU at batch size 32).</summary>
        public SharedFields(JsonElement response, SharedJson? json)
        {
            Json = json;
            JsonProperty? name = null, version = null;
            List<JsonProperty>? others = null;
            foreach (var p in response.EnumerateObject())
            {
                // A repeated name never gets here: answers are parsed with duplicate properties refused.
                if (p.NameEquals("model_name"u8))
                {
                    name = p;
                }
                else if (p.NameEquals("model_version"u8))
                {
                    version = p;
                }
                else if (!IsOwnField(p))
                {
                    (others ??= []).Add(p);
                }
            }

            JsonProperty[] head = name is { } n ? (version is { } v ? [n, v] : [n]) : (version is { } v2 ? [v2] : []);
            Head = new Fields(head, json);
            Parameters = new Fields(ParametersOf(response), json);
            Others = new Fields(others is null ? [] : [.. others], json);
        }

        public SharedJson? Json { get; }

        /// <summary><c>model_name</c> and <c>model_version</c>, in that order, when the answer has them.</summary>
        public Fields Head { get; }

        /// <summary>The model's parameters but the batch tags, which are each line's own, come last, and win over a
        /// model's parameters of the same name.</summary>
        public Fields Parameters { get; }

        /// <summary>Fields that are not the Open Inference response's own, in the model's order.</summary>
        public Fields Others { get; }

        private static JsonProperty[] ParametersOf(JsonElement response)
        {
            if (!response.TryGetProperty("parameters"u8, out var parameters) || parameters.ValueKind != JsonValueKind.Object)
            {
                return [];
            }

            List<JsonProperty>? kept = null;
            foreach (var p in parameters.EnumerateObject())
            {
                if (!IsBatchTag(p))
                {
                    (kept ??= []).Add(p);
                }
            }

            return kept is null ? [] : [.. kept];
        }

        // Names compared as UTF-8, without making a string of each property's name.
        private static bool IsBatchTag(JsonProperty p) =>
            p.NameEquals(BatchTags.BatchIdName.EncodedUtf8Bytes) || p.NameEquals(BatchTags.BatchIndexName.EncodedUtf8Bytes)
            || p.NameEquals(BatchTags.BatchInstanceIdName.EncodedUtf8Bytes) || p.NameEquals(InferenceIdName.EncodedUtf8Bytes);

        private static bool IsOwnField(JsonProperty p) =>
            p.NameEquals("model_name"u8) || p.NameEquals("model_version"u8) || p.NameEquals("id"u8) || p.NameEquals("parameters"u8) || p.NameEquals("outputs"u8);
    }

    /// <summary>The templates of one answer's lines, taken from the last answer of the same shape or recorded when first
    /// needed: one for lines without an id, one for lines with one; of a <paramref name="whole"/> answer's one line, or
    /// of lines cut from it.</summary>
    private sealed class Templates(InferenceResponseSplitter splitter, LazyShared shared, List<AnswerTensor> outputs, bool whole, RememberedTemplates? remembered)
    {
        private LineTemplate? _plain = remembered?.Plain;
        private LineTemplate? _withId = remembered?.WithId;
        private bool _plainTried = remembered?.PlainTried ?? false;
        private bool _withIdTried = remembered?.WithIdTried ?? false;

        // Whether this answer recorded a template: then it is remembered for the answers after it.
        private bool _recorded;

        // The request id and the inference id the lines of a merged request share, once found plain (checked once, not
        // once per line).
        private string? _plainId;
        private string? _plainInferenceId;

        /// <summary>The template <paramref name="member"/>'s line can be filled into, or null when the line writer must
        /// write it: its ids have something to escape, it has no inference id, or some of its values are not copied as
        /// they are written (strings, whitespace).</summary>
        public LineTemplate? For(BatchMember member, long offset)
        {
            var id = member.RequestId ?? member.InstanceId;
            if (!IsPlain(id, ref _plainId) || member.InferenceId is not { } inferenceId || !IsPlain(inferenceId, ref _plainInferenceId)
                || (member.LineId is { } lineId && !SeldonJson.IsPlain(lineId)))
            {
                return null;
            }

            foreach (var output in outputs)
            {
                if (!output.IsVerbatim(offset, member.Rows))
                {
                    return null;
                }
            }

            return member.LineId is null
                ? Get(ref _plain, ref _plainTried, withId: false)
                : Get(ref _withId, ref _withIdTried, withId: true);
        }

        /// <summary>What the splitter remembers after this answer when it recorded a template: its templates, with the
        /// answer's bytes but its holes; null when it has nothing new to remember.</summary>
        public RememberedTemplates? ToRemember(JsonElement response) =>
            !_recorded ? null
            : remembered is not null ? remembered.With(_plain, _plainTried, _withId, _withIdTried)
            : RememberedTemplates.Of(response, outputs, _plain, _plainTried, _withId, _withIdTried);

        /// <summary>Whether <paramref name="id"/> is plain, remembering in <paramref name="plain"/> the last one found so.</summary>
        public static bool IsPlain(string id, ref string? plain)
        {
            if (ReferenceEquals(id, plain))
            {
                return true;
            }

            if (!SeldonJson.IsPlain(id))
            {
                return false;
            }

            plain = id;
            return true;
        }

        private LineTemplate? Get(ref LineTemplate? template, ref bool tried, bool withId)
        {
            if (!tried)
            {
                tried = true;
                _recorded = true;
                template = Record(withId);
            }

            return template;
        }

        private LineTemplate? Record(bool withId)
        {
            var standIn = new BatchMember(0, string.Empty) { InferenceId = string.Empty, LineId = withId ? string.Empty : null };
            var template = LineTemplate.Record((splitter, shared: shared.Value, outputs, standIn, offset: whole ? -1L : 0L), static (w, t, s) =>
                s.splitter.WriteAnswer(w, t.Answer, s.shared, s.outputs, s.standIn, s.offset, t));

            // Each output cut must have given exactly one hole for its row count and one for its values (one without
            // "data" gives none, and its lines take the line writer); each whole output one for its values when it has data.
            return template.Count(LineTemplate.Part.Index) == 1 && template.Count(LineTemplate.Part.InstanceId) == 1
                && template.Count(LineTemplate.Part.InferenceId) == 1 && template.Count(LineTemplate.Part.LineId) == (withId ? 1 : 0)
                && template.Count(LineTemplate.Part.RowCount) == (whole ? 0 : outputs.Count)
                && template.Count(LineTemplate.Part.Values) == (whole ? outputs.Count(o => o.Data.ValueKind == JsonValueKind.Array) : outputs.Count)
                && template.Count(LineTemplate.Part.Rows) == 0
                ? template
                : null;
        }
    }

    /// <summary>Fills a line's own holes of the template: the row count and the values of each output, its id and its
    /// inference id.</summary>
    private readonly struct LineFiller(List<AnswerTensor> outputs, long offset, int rows, string? lineId, string inferenceId) : LineTemplate.IFiller
    {
        public void Fill(ArrayBufferWriter<byte> buffer, LineTemplate.Part part, int output)
        {
            switch (part)
            {
                case LineTemplate.Part.RowCount:
                    LineTemplate.WriteNumber(buffer, rows);
                    break;
                case LineTemplate.Part.Values:
                    outputs[output].WriteValues(buffer, offset, rows);
                    break;
                case LineTemplate.Part.InferenceId:
                    WritePlain(buffer, inferenceId);
                    break;
                default:
                    WritePlain(buffer, lineId!);
                    break;
            }
        }

        // A plain id's JSON string is its ASCII bytes in quotes.
        public static void WritePlain(ArrayBufferWriter<byte> buffer, string id)
        {
            LineTemplate.Put(buffer, "\""u8);
            buffer.Advance(Encoding.ASCII.GetBytes(id, buffer.GetSpan(id.Length)));
            LineTemplate.Put(buffer, "\""u8);
        }
    }

    /// <summary>Properties of the answer, written from the document or, when rendered, copied as bytes.</summary>
    private sealed class Fields(JsonProperty[] properties, SharedJson? json)
    {
        private readonly RenderedProperty[]? _rendered = json is null ? null : Render(properties, json);

        private static RenderedProperty[] Render(JsonProperty[] properties, SharedJson json)
        {
            if (properties.Length == 0)
            {
                return [];
            }

            var rendered = new RenderedProperty[properties.Length];
            for (var k = 0; k < properties.Length; k++)
            {
                rendered[k] = json.Property(properties[k]);
            }

            return rendered;
        }

        public void WriteTo(Utf8JsonWriter w) => SharedJson.WriteProperties(w, _rendered, properties);
    }
}
