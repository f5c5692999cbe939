using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Seldon.Batch.Dataflow;

/// <summary>Builds the output lines of a micro-batch from the model's answer: splits merged answers back
/// into one answer per line, merges tags (user, then model, then batch tags) and writes error records
/// that keep the shape of an answer.</summary>
internal sealed partial class OutputComposer : IErrorRecords
{
    /// <summary>Code of a line that was never sent because it could not be encoded.</summary>
    public const int UnsentCode = RequestFailure.UnsentCode;

    /// <summary>Code of an answer that came but cannot be used.</summary>
    public const int UnusableCode = 502;


    private static readonly string[] MessageFieldOrder = ["status", "meta", "data", "binData", "strData", "jsonData", "customData"];

    /// <summary>The SeldonMessage fields of its payload oneof: the model's answer.</summary>
    private static readonly string[] PayloadFields = ["data", "binData", "strData", "jsonData", "customData"];

    private static readonly byte[][] MessageFieldNames = [.. MessageFieldOrder.Select(System.Text.Encoding.UTF8.GetBytes)];

    // The run's batch id escaped once: every output line writes it, and escaping the same strings again for each line
    // was a few per cent of the client's CPU at batch size 32 (the tags' names are escaped once in BatchTags).
    private readonly JsonEncodedText _batchIdText;

    public OutputComposer(string batchId) => _batchIdText = JsonEncodedText.Encode(batchId, SeldonJson.WriterOptions.Encoder);

    /// <summary>One result per member, in member order.</summary>
    /// <param name="batch">The encoded micro-batch.</param>
    /// <param name="answer">The model's answer body, when it answered with success.</param>
    /// <param name="failure">Why the request failed; null when it succeeded.</param>
    public InstanceResult[] Compose(EncodedBatch batch, AnswerBody answer, RequestFailure? failure)
    {
        if (failure is null && batch.HasRequest)
        {
            // The answer as UTF-8, once: compared with the last answer's bytes, and parsed only when they differ.
            var utf8 = Utf8Answer.Of(answer);
            try
            {
                var remembered = !batch.IsSplit ? TakeRemembered(batch.Members[0], utf8.Bytes)
                    : utf8.IsValid ? TakeRememberedSplit(batch, utf8.Memory) : null;
                if (remembered is not null)
                {
                    return remembered;
                }

                failure = ComposeRead(batch, answer, utf8, out var results);
                if (failure is null)
                {
                    return results!;
                }
            }
            finally
            {
                utf8.Return();
            }
        }

        return MemberLines.ErrorRecords(this, batch, failure);
    }

    /// <summary>The lines of an answer read as a document: its results, or why it cannot be used.</summary>
    private RequestFailure? ComposeRead(EncodedBatch batch, AnswerBody answer, Utf8Answer utf8, out InstanceResult[]? results)
    {
        results = null;

        // The answer is read once as a document and written out by parts: no tree of nodes, no copies.
        var (failure, document) = TryReadAnswer(answer, utf8);
        using (document)
        {
            if (failure is not null)
            {
                return failure;
            }

            var message = document!.RootElement;
            if (!batch.IsSplit)
            {
                results = AnswerAlone(batch.Members[0], message);
                return null;
            }

            var unusable = SplitAnswer(batch, message, out results);
            return unusable is null ? null : new RequestFailure(LineFailureKind.UnusableAnswer, UnusableCode, unusable);
        }
    }

    /// <summary>An error record: the shape of a Seldon failure, with the user's tags and the batch tags.</summary>
    public InstanceResult ErrorRecord(BatchMember member, RequestFailure failure)
    {
        var lineFailure = new LineFailure(member.Index, failure);
        var line = SeldonJson.WriteObject(w =>
        {
            w.WritePropertyName("status");
            w.WriteStartObject();
            w.WriteNumber("code", lineFailure.Status);
            w.WriteString("info", "FAILURE");
            w.WriteString("reason", lineFailure.Reason);
            w.WriteNumber("status", 1);
            w.WriteEndObject();
            w.WritePropertyName("meta");
            w.WriteStartObject();
            WriteTags(w, member, null, null);
            w.WriteEndObject();
        });
        return new InstanceResult(member.Index, line, lineFailure);
    }

    private static (RequestFailure? Failure, JsonDocument? Document) TryReadAnswer(AnswerBody answer, Utf8Answer utf8)
    {
        JsonDocument? document = null;
        try
        {
            // From the UTF-8 bytes when there are any: the document reads them in place (they outlive it); from the text
            // when it is not valid UTF-16, where the text parser reports it as before.
            document = answer.IsBlank ? null
                : utf8.IsValid ? JsonDocument.Parse(utf8.Memory, SeldonJson.DocumentOptions)
                : JsonDocument.Parse(answer.Text!, SeldonJson.DocumentOptions);
        }
        catch (JsonException ex)
        {
            return (new RequestFailure(LineFailureKind.UnusableAnswer, UnusableCode, $"unusable answer: the model's answer is not JSON: {ex.Message}"), null);
        }

        if (document is null || document.RootElement.ValueKind != JsonValueKind.Object)
        {
            var found = document is null ? "null" : SeldonJson.Describe(document.RootElement);
            document?.Dispose();
            return (new RequestFailure(LineFailureKind.UnusableAnswer, UnusableCode, $"unusable answer: the model's answer is not a JSON object but {found}"), null);
        }

        var message = document.RootElement;
        if (message.TryGetProperty("status", out var status) && status.ValueKind == JsonValueKind.Object
            && status.TryGetProperty("status", out var flag) && IsFailure(flag))
        {
            var code = status.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.Number && c.TryGetDouble(out var d) ? (int)d : 500;
            var reason = SeldonStatus.Describe(JsonObject.Create(status)!);
            document.Dispose();
            // The model answered, and its answer says it refused the request.
            return (new RequestFailure(LineFailureKind.Refused, code, reason), null);
        }

        return (null, document);
    }

    private static bool IsFailure(JsonElement flag) => flag.ValueKind switch
    {
        JsonValueKind.Number => flag.TryGetDouble(out var n) && n == 1,
        JsonValueKind.String => flag.ValueEquals("FAILURE"),
        _ => false,
    };

    // Measured hot path, kept whole on purpose (runs once per split batch; its per-line loop is MemberLines.Split, with
    // SplitLine.Write inlined into it): splitting it into steps moved its locals out of registers, as the RowWriter
    // struct did in NdarrayScanner (commit 035912e).
    private string? SplitAnswer(EncodedBatch batch, JsonElement message, out InstanceResult[]? results)
    {
        results = null;
        var total = batch.SentRows;

        if (!message.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Object)
        {
            return "unusable answer: the model's answer has no \"data\" to split into the lines of the micro-batch";
        }

        Part part;
        if (data.TryGetProperty("ndarray", out var ndarray) && ndarray.ValueKind == JsonValueKind.Array)
        {
            var count = ndarray.GetArrayLength();
            if (count != total)
            {
                return $"unusable answer: the model answered {count} rows for the {total} rows of the micro-batch";
            }

            part = new Part(data, "ndarray", ndarray, [], 1);
        }
        else if (data.TryGetProperty("tensor", out var tensor) && tensor.ValueKind == JsonValueKind.Object)
        {
            if (!tensor.TryGetProperty("shape", out var shape) || shape.ValueKind != JsonValueKind.Array || shape.GetArrayLength() == 0
                || !tensor.TryGetProperty("values", out var values) || values.ValueKind != JsonValueKind.Array
                || !shape.EnumerateArray().All(d => d.ValueKind == JsonValueKind.Number && d.GetDouble() is >= 0 and var v && v % 1 == 0))
            {
                return "unusable answer: the model's tensor answer has no shape or values";
            }

            var dims = shape.EnumerateArray().Select(d => (long)d.GetDouble()).ToArray();
            var stride = dims.Skip(1).Aggregate(1L, (a, d) => a * d);
            if (dims[0] != total || values.GetArrayLength() != total * stride)
            {
                return $"unusable answer: the model answered a tensor of shape [{string.Join(',', dims)}] for the {total} rows of the micro-batch";
            }

            part = new Part(data, "tensor", values, dims, stride);
        }
        else
        {
            return "unusable answer: the model's answer holds neither data.ndarray nor data.tensor, so it cannot be split into the lines of the micro-batch";
        }

        // The items are listed once; each line then writes its own range of them.
        part.Items = [.. part.Array.EnumerateArray()];
        var layout = new LazyLayout(message);
        LineTemplate? template = null;
        if (batch.Members.Count > 1)
        {
            // A model answers every request in the same shape: when this answer's bytes around its ndarray are the last
            // template's, so is its template, and the answer's layout is not read at all (a line that cannot take the
            // template reads it, unrendered, which writes the same bytes).
            var last = Volatile.Read(ref _lastTemplate);
            template = last is not null && last.Fits(message, part.Array) ? last.Template : RecordTemplate(layout.Value, part, message);
        }

        results = MemberLines.Split(this, batch, new SplitLine(this, layout, part, template));
        return null;
    }

    /// <summary>The template of a split answer's lines, remembered for the answers after it that have the same bytes
    /// around their ndarray; null when its lines differ in more than their index, instance id and rows.</summary>
    private LineTemplate? RecordTemplate(AnswerLayout layout, Part part, JsonElement message)
    {
        // What every line of this answer copies is written once, here, rather than once per line; and, where the
        // lines differ only in their index, instance id and rows, the whole line is.
        var shared = new SharedJson();
        layout.Prerender(shared);
        part.Prerender(shared);
        var template = LineTemplate.Record((this, layout, part), static (w, t, s) => s.Item1.WriteLine(w, t.Answer, TemplateMember, s.layout, s.part, t));
        if (!template.HasOneOfEach(LineTemplate.Part.Index, LineTemplate.Part.InstanceId, LineTemplate.Part.Rows))
        {
            return null;
        }

        // Only an ndarray's rows are a hole (a tensor's shape is each line's own, so a tensor answer has no template).
        if (part.Dims.Length == 0 && AnswerSkeleton.Of(message, part.Array, template) is { } skeleton)
        {
            Volatile.Write(ref _lastTemplate, skeleton);
        }

        return template;
    }

    /// <summary>The last template recorded, with the bytes of its answer around the ndarray; read and replaced by the
    /// threads that split answers at once (each reads a whole one: it is never changed).</summary>
    private AnswerSkeleton? _lastTemplate;

    /// <summary>A split answer's bytes but its ndarray's, and the template of its lines. The template is made from those
    /// bytes alone (the ndarray's items are its hole; the batch id is the composer's): an answer whose bytes around its
    /// ndarray are the same, byte for byte, parses to the same fields in the same order, and has the same template.</summary>
    private sealed class AnswerSkeleton
    {
        /// <summary>The longest skeleton kept: answers with large fields besides their rows are not compared.</summary>
        private const int Longest = 4096;

        private readonly byte[] _bytes;
        private readonly int _head;

        private AnswerSkeleton(byte[] bytes, int head, LineTemplate template)
        {
            _bytes = bytes;
            _head = head;
            Template = template;
        }

        public LineTemplate Template { get; }

        /// <summary>The length of the answer's bytes before its ndarray.</summary>
        public int Head => _head;

        public static AnswerSkeleton? Of(JsonElement message, JsonElement ndarray, LineTemplate template)
        {
            if (!Around(message, ndarray, out var head, out var tail) || head.Length + tail.Length > Longest)
            {
                return null;
            }

            var bytes = new byte[head.Length + tail.Length];
            head.CopyTo(bytes);
            tail.CopyTo(bytes.AsSpan(head.Length));
            return new AnswerSkeleton(bytes, head.Length, template);
        }

        /// <summary>Whether <paramref name="message"/>'s bytes before and after <paramref name="ndarray"/> are this
        /// skeleton's.</summary>
        public bool Fits(JsonElement message, JsonElement ndarray) =>
            Around(message, ndarray, out var head, out var tail)
            && head.SequenceEqual(_bytes.AsSpan(0, _head)) && tail.SequenceEqual(_bytes.AsSpan(_head));

        /// <summary>Whether <paramref name="answer"/> (without the whitespace around it) begins and ends with this skeleton's
        /// bytes before and after its ndarray, with at least two bytes between them: <paramref name="rows"/>.</summary>
        public bool Holds(ReadOnlySpan<byte> answer, out ReadOnlySpan<byte> rows)
        {
            if (answer.Length < _bytes.Length + 2 || !answer.StartsWith(_bytes.AsSpan(0, _head)) || !answer.EndsWith(_bytes.AsSpan(_head)))
            {
                rows = default;
                return false;
            }

            rows = answer[_head..(answer.Length - (_bytes.Length - _head))];
            return true;
        }

        /// <summary>The message's bytes before and after its ndarray (both lie in the document's one buffer).</summary>
        private static bool Around(JsonElement message, JsonElement ndarray, out ReadOnlySpan<byte> head, out ReadOnlySpan<byte> tail)
        {
            var all = JsonMarshal.GetRawUtf8Value(message);
            var rows = JsonMarshal.GetRawUtf8Value(ndarray);
            if (!all.Overlaps(rows, out var offset) || offset < 0 || offset + rows.Length > all.Length)
            {
                head = tail = default;
                return false;
            }

            head = all[..offset];
            tail = all[(offset + rows.Length)..];
            return true;
        }
    }

    /// <summary>The layout of an answer, read when a line first needs it: never, when every line of an answer takes a
    /// remembered template.</summary>
    private sealed class LazyLayout(JsonElement message)
    {
        private AnswerLayout? _value;

        public AnswerLayout Value => _value ??= new AnswerLayout(message);
    }

    /// <summary>The line of one sent member of a split answer: filled into the answer's template where the line differs
    /// from it only in its index, instance id and rows; else written whole.</summary>
    private readonly struct SplitLine(OutputComposer composer, LazyLayout layout, Part part, LineTemplate? template) : IMemberLine
    {
        // Inlined into the loop compiled for this struct, its fields stay in registers as the loop's own locals did.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Write(AnswerLines lines, int slot, BatchMember member, int offset)
        {
            part.Offset = offset;
            part.Rows = member.Rows;
            // An id made of a plain request id and "-item-<n>" is plain too (and written from its parts, never made).
            var (id, item) = member.TemplateId;
            if (template is not null && member.UserTags is null && SeldonJson.IsPlain(id) && part.IsVerbatim(offset, member.Rows))
            {
                lines.Write(slot, member.Index, template, id, item, part.Items.AsSpan(offset, member.Rows));
            }
            else
            {
                composer.WriteAnswer(lines, slot, member, layout.Value, part);
            }
        }
    }

    /// <summary>The <c>data</c> of one line's answer: the whole of the answer's <c>data</c> (<see cref="Array"/> undefined),
    /// or the answer's <c>data</c> with its ndarray (or tensor) cut to rows [Offset, Offset + Rows).</summary>
    private sealed class Part(JsonElement data, string payloadKey = "", JsonElement array = default, long[]? dims = null, long stride = 1)
    {
        public JsonElement Data { get; } = data;

        public string PayloadKey { get; } = payloadKey;

        /// <summary>The answer's ndarray, or its tensor's values.</summary>
        public JsonElement Array { get; } = array;

        /// <summary>Empty for an ndarray; the tensor's shape otherwise.</summary>
        public long[] Dims { get; } = dims ?? [];

        public long Stride { get; } = stride;

        public JsonElement[] Items { get; set; } = [];

        /// <summary>For an ndarray part shared by several lines: the data's properties written once, in order, with null
        /// in the place of the ndarray; null when not prerendered.</summary>
        private RenderedProperty?[]? _rendered;

        public void Prerender(SharedJson shared)
        {
            if (Dims.Length == 0 && !IsWhole)
            {
                _rendered = [.. Data.EnumerateObject().Select(p => p.NameEquals(PayloadKey) ? (RenderedProperty?)null : shared.Property(p))];
            }
        }

        public int Offset { get; set; }

        public int Rows { get; set; }

        public bool IsWhole => Array.ValueKind == JsonValueKind.Undefined;

        /// <summary>Whether the rows [start, start + count) are written as their raw bytes (see <see cref="WriteItems"/>).</summary>
        public bool IsVerbatim(int start, int count)
        {
            for (var k = start; k < start + count; k++)
            {
                if (!LineTemplate.IsVerbatim(Items[k]))
                {
                    return false;
                }
            }

            return true;
        }

        // Measured hot path, kept whole on purpose (called for every output line by the per-line writer loop): splitting
        // it into steps moved its state out of registers, as the RowWriter struct did in NdarrayScanner (commit 035912e).
        /// <summary>Writes the part; into a template, the rows of a shared ndarray are a hole.</summary>
        public void WriteTo(Utf8JsonWriter w, LineTemplate? template)
        {
            if (IsWhole)
            {
                if (Data.ValueKind == JsonValueKind.Undefined)
                {
                    w.WriteNullValue();
                }
                else
                {
                    Data.WriteTo(w);
                }

                return;
            }

            w.WriteStartObject();
            if (_rendered is not null)
            {
                foreach (var r in _rendered)
                {
                    if (r is { } property)
                    {
                        property.WriteTo(w);
                    }
                    else
                    {
                        w.WritePropertyName(PayloadKey);
                        if (template is null)
                        {
                            WriteItems(w, Offset, Rows);
                        }
                        else
                        {
                            w.WriteStartArray();
                            template.Hole(w, LineTemplate.Part.Rows, default);
                            w.WriteEndArray();
                        }
                    }
                }

                w.WriteEndObject();
                return;
            }

            foreach (var p in Data.EnumerateObject())
            {
                if (!p.NameEquals(PayloadKey))
                {
                    p.WriteTo(w);
                    continue;
                }

                w.WritePropertyName(PayloadKey);
                if (Dims.Length == 0)
                {
                    WriteItems(w, Offset, Rows);
                    continue;
                }

                w.WriteStartObject();
                foreach (var t in p.Value.EnumerateObject())
                {
                    if (t.NameEquals("shape"))
                    {
                        w.WritePropertyName("shape");
                        w.WriteStartArray();
                        w.WriteNumberValue(Rows);
                        for (var k = 1; k < Dims.Length; k++)
                        {
                            w.WriteNumberValue(Dims[k]);
                        }

                        w.WriteEndArray();
                    }
                    else if (t.NameEquals("values"))
                    {
                        w.WritePropertyName("values");
                        WriteItems(w, (int)(Offset * Stride), (int)(Rows * Stride));
                    }
                    else
                    {
                        t.WriteTo(w);
                    }
                }

                w.WriteEndObject();
            }

            w.WriteEndObject();
        }

        private void WriteItems(Utf8JsonWriter w, int start, int count)
        {
            w.WriteStartArray();
            for (var k = start; k < start + count; k++)
            {
                // An item written without whitespace or strings (numbers, and arrays of them, as models answer) is
                // exactly what WriteTo would write: its bytes are copied instead of walking the document.
                if (LineTemplate.IsVerbatim(Items[k]))
                {
                    w.WriteRawValue(JsonMarshal.GetRawUtf8Value(Items[k]), skipInputValidation: true);
                }
                else
                {
                    Items[k].WriteTo(w);
                }
            }

            w.WriteEndArray();
        }
    }


    /// <summary>The member a line template is written for: no user tags; its index and instance id are holes.</summary>
    private static readonly BatchMember TemplateMember = new(0, string.Empty);

    /// <summary>What every line of one answer shares, found once per answer rather than once per line: the
    /// message's fields in canonical order, the meta's fields other than tags, the model's tags.</summary>
    private sealed class AnswerLayout
    {
        public AnswerLayout(JsonElement message)
        {
            var fields = new List<(string? Name, JsonElement Value)>();
            foreach (var key in MessageFieldOrder)
            {
                // meta is always written (every output carries the batch tags); its place is marked by a null name.
                if (key == "meta")
                {
                    fields.Add((null, default));
                }
                else if (message.TryGetProperty(key, out var value))
                {
                    fields.Add((key, value));
                }
            }

            Fields = [.. fields];
            Payload = fields.FindIndex(f => f.Name is { } name && PayloadFields.Contains(name));
            Others = [.. message.EnumerateObject().Where(p => !IsMessageField(p))];
            if (message.TryGetProperty("meta", out var meta) && meta.ValueKind == JsonValueKind.Object)
            {
                // The answer's meta (a missing, null or malformed one is replaced) with the merged tags.
                MetaFields = [.. meta.EnumerateObject().Where(p => !p.NameEquals("tags"u8))];
                if (meta.TryGetProperty("tags"u8, out var tags) && tags.ValueKind == JsonValueKind.Object)
                {
                    ModelTags = [.. tags.EnumerateObject()];
                    ModelTagKinds = [.. ModelTags.Select(BatchTagBit)];
                }
            }
        }

        /// <summary>The SeldonMessage fields present, in proto order; a null name stands for meta.</summary>
        public (string? Name, JsonElement Value)[] Fields { get; }

        /// <summary>The place in <see cref="Fields"/> of the model's answer, the message's payload (<c>data</c>,
        /// <c>binData</c>, <c>strData</c>, <c>jsonData</c> or <c>customData</c>, one of a oneof); -1 when it has none.</summary>
        public int Payload { get; }

        /// <summary>Fields that are not SeldonMessage fields, in the model's order.</summary>
        public JsonProperty[] Others { get; }

        public JsonProperty[] MetaFields { get; } = [];

        /// <summary>The model's tags; null when it wrote none.</summary>
        public JsonProperty[]? ModelTags { get; }

        /// <summary>For each model tag, its batch tag bit (see <see cref="BatchTagBit(string)"/>), 0 for the others.</summary>
        public int[] ModelTagKinds { get; } = [];

        /// <summary>When prerendered: the values of <see cref="Fields"/> other than meta and data, written once.</summary>
        public ReadOnlyMemory<byte>[]? FieldValues { get; private set; }

        /// <summary>When prerendered: <see cref="Others"/>, <see cref="MetaFields"/> and <see cref="ModelTags"/> written once.</summary>
        public RenderedProperty[]? OtherProperties { get; private set; }

        public RenderedProperty[]? MetaProperties { get; private set; }

        public RenderedProperty[]? ModelTagProperties { get; private set; }

        public void Prerender(SharedJson shared)
        {
            FieldValues = [.. Fields.Select(f => f.Name is null or "data" ? default : shared.Value(f.Value))];
            OtherProperties = [.. Others.Select(shared.Property)];
            MetaProperties = [.. MetaFields.Select(shared.Property)];
            ModelTagProperties = ModelTags is null ? null : [.. ModelTags.Select(shared.Property)];
        }
    }

    /// <summary>The one line of an answer that is not split.</summary>
    private InstanceResult[] Answer(BatchMember member, AnswerLayout layout, Part data)
    {
        var results = new InstanceResult[1];
        var lines = AnswerLines.Start();
        WriteAnswer(lines, 0, member, layout, data);
        lines.Finish(results);
        return results;
    }

    private void WriteAnswer(AnswerLines lines, int slot, BatchMember member, AnswerLayout layout, Part data)
    {
        lines.Write(slot, member.Index, (this, member, layout, data), static (w, answer, s) => s.Item1.WriteLine(w, answer, s.member, s.layout, s.data, null));
    }

    /// <summary>Writes the fields of one line's answer, marking the model's answer (its payload's value) on
    /// <paramref name="answer"/>; into a template, the line's own parts are holes.</summary>
    private void WriteLine(Utf8JsonWriter w, AnswerSpan answer, BatchMember member, AnswerLayout layout, Part data, LineTemplate? template)
    {
        for (var f = 0; f < layout.Fields.Length; f++)
        {
            var (name, value) = layout.Fields[f];
            if (name is null)
            {
                w.WritePropertyName("meta"u8);
                w.WriteStartObject();
                SharedJson.WriteProperties(w, layout.MetaProperties, layout.MetaFields);
                WriteTags(w, member, layout, template);
                w.WriteEndObject();
                continue;
            }

            w.WritePropertyName(name);
            if (f == layout.Payload)
            {
                answer.Open(w);
            }

            if (name == "data")
            {
                data.WriteTo(w, template);
            }
            else if (layout.FieldValues is { } values)
            {
                w.WriteRawValue(values[f].Span, skipInputValidation: true);
            }
            else
            {
                value.WriteTo(w);
            }

            if (f == layout.Payload)
            {
                answer.Close(w);
            }
        }

        SharedJson.WriteProperties(w, layout.OtherProperties, layout.Others);
    }

    private static bool IsMessageField(JsonProperty property)
    {
        foreach (var key in MessageFieldNames)
        {
            if (property.NameEquals(key))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Writes <c>"tags"</c>: the user's tags, the model's over them, the batch tags over both. A tag keeps
    /// the place where it first appears; batch tags nobody wrote come last.</summary>
    private void WriteTags(Utf8JsonWriter w, BatchMember member, AnswerLayout? layout, LineTemplate? template)
    {
        var modelTags = layout?.ModelTags;
        var written = 0;
        w.WritePropertyName("tags"u8);
        w.WriteStartObject();
        if (member.UserTags is { } userTags)
        {
            foreach (var t in userTags)
            {
                var bit = BatchTagBit(t.Key);
                if (bit != 0)
                {
                    WriteBatchTag(w, bit, member, template, ref written);
                    continue;
                }

                w.WritePropertyName(t.Key);
                var model = modelTags is null ? -1 : Array.FindIndex(modelTags, m => m.NameEquals(t.Key));
                if (model >= 0)
                {
                    modelTags![model].Value.WriteTo(w);
                }
                else
                {
                    SeldonJson.WriteNode(w, t.Value);
                }
            }
        }

        if (modelTags is not null)
        {
            for (var k = 0; k < modelTags.Length; k++)
            {
                if (layout!.ModelTagKinds[k] is var bit and not 0)
                {
                    WriteBatchTag(w, bit, member, template, ref written);
                }
                else if (member.UserTags is null || !member.UserTags.ContainsKey(modelTags[k].Name))
                {
                    if (layout.ModelTagProperties is { } rendered)
                    {
                        rendered[k].WriteTo(w);
                    }
                    else
                    {
                        modelTags[k].WriteTo(w);
                    }
                }
            }
        }

        WriteBatchTag(w, 1, member, template, ref written);
        WriteBatchTag(w, 2, member, template, ref written);
        WriteBatchTag(w, 4, member, template, ref written);
        w.WriteEndObject();
    }

    private static int BatchTagBit(string key) => key switch
    {
        BatchTags.BatchId => 1,
        BatchTags.BatchIndex => 2,
        BatchTags.BatchInstanceId => 4,
        _ => 0,
    };

    private static int BatchTagBit(JsonProperty tag) =>
        tag.NameEquals(BatchTags.BatchId) ? 1
        : tag.NameEquals(BatchTags.BatchIndex) ? 2
        : tag.NameEquals(BatchTags.BatchInstanceId) ? 4
        : 0;

    /// <summary>Writes a batch tag (1 batch_id, 2 batch_index, 4 batch_instance_id) unless it was written already; into a
    /// template, the values of the last two are holes.</summary>
    private void WriteBatchTag(Utf8JsonWriter w, int bit, BatchMember member, LineTemplate? template, ref int written)
    {
        if ((written & bit) != 0)
        {
            return;
        }

        written |= bit;
        switch (bit)
        {
            case 1:
                w.WriteString(BatchTags.BatchIdName, _batchIdText);
                break;
            case 2 when template is not null:
                w.WritePropertyName(BatchTags.BatchIndexName);
                template.Hole(w, LineTemplate.Part.Index, "0"u8);
                break;
            case 2:
                w.WriteNumber(BatchTags.BatchIndexName, member.Index);
                break;
            case 4 when template is not null:
                w.WritePropertyName(BatchTags.BatchInstanceIdName);
                template.Hole(w, LineTemplate.Part.InstanceId, "\"\""u8);
                break;
            default:
                SeldonJson.WritePlainString(w, BatchTags.BatchInstanceIdName, member.InstanceId);
                break;
        }
    }
}
