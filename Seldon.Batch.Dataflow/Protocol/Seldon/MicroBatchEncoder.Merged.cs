using System.Text.Json;
using System.Text.Json.Nodes;

namespace Seldon.Batch.Dataflow;

/// <summary>Batch size above 1: consecutive lines whose rows can be merged (the same payload kind, row shape and names)
/// go into one request, an ndarray or a tensor. A line that cannot join the lines before it starts the next request of
/// the group, so it is judged by the model on its own and never fails its neighbours; the requests hold runs of lines in
/// line order. A line that cannot be read (bad JSON, blank, no rows) is its own error, a member of the request it stands
/// in; a raw line whose message cannot be merged at all (strData, jsonData, a tftensor…) travels alone, as at batch
/// size 1.</summary>
internal sealed partial class MicroBatchEncoder
{
    /// <summary>One line read for a merge: its rows (a source of its own, or scanned into the group's
    /// <see cref="ScannedRows"/>); or why it cannot be sent; or, for a raw line that travels alone, its message.</summary>
    private readonly record struct ReadLine(InputLine Line, RowSource? Source, string? Error, JsonObject? UserTags, JsonObject? Alone, ScannedLine Scanned = default)
    {
        public bool Sends => Source is not null || Scanned.IsScanned;

        public int Rows => Source?.Rows ?? Scanned.Rows;

        /// <summary>Neither a tensor nor named: what every ndarray line of a data file is, scanned or not.</summary>
        public bool IsPlain => Source is null || (!Source.IsTensor && Source.Names is null or { Count: 0 });

        /// <summary>The shape of its rows (its dimensions after the first).</summary>
        public ReadOnlySpan<int> RowShape(ScannedRows? scanned) => Source is { } source ? source.Dimensions.AsSpan(1) : scanned!.RowShape(Scanned);
    }

    /// <summary>Lines [<see cref="Start"/>, <see cref="End"/>) of a group, whose readable lines merge into one request;
    /// <see cref="First"/> the first of them that is sent.</summary>
    private readonly record struct Run(ReadLine[] Lines, int Start, int End, int First, ScannedRows? Scanned);

    /// <summary>Batch size above 1: one request per run of lines that merge, in line order (one, nearly always). The
    /// ndarray lines of a data file are scanned into one buffer for the group (<see cref="ScannedRows"/>).</summary>
    private List<EncodedBatch> EncodeMerged(IReadOnlyList<InputLine> lines) =>
        EncodeMerged(lines, _settings.DataType == DataType.Data && _settings.PayloadType == PayloadType.Ndarray ? ScannedRows.Start() : null);

    /// <summary>The path <see cref="EncodeMerged(IReadOnlyList{InputLine})"/> shortcuts: every line of a group read through
    /// a document (or a node tree). Tests hold the scan to it byte for byte (MergedScanProperties).</summary>
    internal IReadOnlyList<EncodedBatch> EncodeMergedWithDocuments(IReadOnlyList<InputLine> lines) => EncodeMerged(lines, scanned: null);

    private List<EncodedBatch> EncodeMerged(IReadOnlyList<InputLine> lines, ScannedRows? scanned)
    {
        var read = new ReadLine[lines.Count];
        try
        {
            for (var n = 0; n < lines.Count; n++)
            {
                read[n] = Read(lines[n], scanned);
            }

            return Runs(read, scanned);
        }
        finally
        {
            foreach (var line in read)
            {
                line.Source?.Dispose();
            }

            scanned?.Finished();
        }
    }

    /// <summary>The requests of a group's lines: a run ends where a line cannot join it, or travels alone.</summary>
    private List<EncodedBatch> Runs(ReadLine[] read, ScannedRows? scanned)
    {
        var batches = new List<EncodedBatch>(1);
        var start = 0;
        var first = -1;
        for (var n = 0; n < read.Length; n++)
        {
            ref readonly var line = ref read[n];
            if (line.Alone is not null)
            {
                if (start < n)
                {
                    batches.Add(WriteRun(read, start, n, scanned));
                }

                batches.Add(WriteAlone(line));
                start = n + 1;
                first = -1;
            }
            else if (line.Sends)
            {
                if (first >= 0 && !Joins(read[first], line, scanned))
                {
                    // Another payload kind, row shape or names: the lines so far are one request, this one starts the next.
                    batches.Add(WriteRun(read, start, n, scanned));
                    start = n;
                    first = -1;
                }

                first = first < 0 ? n : first;
            }
        }

        if (start < read.Length)
        {
            batches.Add(WriteRun(read, start, read.Length, scanned));
        }

        return batches;
    }

    /// <summary>Whether <paramref name="line"/> can join a request whose first line is <paramref name="first"/>: the same
    /// payload kind, row shape and names (<see cref="RowSource.Describe"/>).</summary>
    private static bool Joins(in ReadLine first, in ReadLine line, ScannedRows? scanned)
    {
        if (first.Source is { } mine && line.Source is { } theirs)
        {
            return mine.Describe(theirs) is null;
        }

        // A scanned line is an ndarray of a data file, as is any line of the document path it meets.
        return first.IsPlain && line.IsPlain && first.RowShape(scanned).SequenceEqual(line.RowShape(scanned));
    }

    /// <summary>The request of lines [<paramref name="start"/>, <paramref name="end"/>), whose readable lines all merge; none
    /// when every one of them is an error.</summary>
    private EncodedBatch WriteRun(ReadLine[] read, int start, int end, ScannedRows? scanned)
    {
        var requestId = _newId();
        var members = new List<BatchMember>(end - start);
        var first = -1;
        for (var n = start; n < end; n++)
        {
            ref readonly var line = ref read[n];
            var member = new BatchMember(line.Line.Index, requestId, n - start)
            {
                UserTags = line.UserTags,
                EncodingError = line.Error,
            };
            if (line.Sends)
            {
                member.Rows = line.Rows;
                first = first < 0 ? n : first;
            }

            members.Add(member);
        }

        var body = first < 0 ? null : WriteMerged(new Run(read, start, end, first, scanned), requestId);
        return EncodedBatch.OfUtf8(members, body, requestId, isSplit: true);
    }

    /// <summary>A raw line that cannot be merged, sent as at batch size 1: its message as it is, the batch tags merged
    /// into its own, the answer written whole.</summary>
    private EncodedBatch WriteAlone(ReadLine line)
    {
        var requestId = _newId();
        var member = new BatchMember(line.Line.Index, requestId) { Rows = 1 };
        var body = EncodeRaw(line.Alone, member);
        return EncodedBatch.OfUtf8([member], body, requestId);
    }

    private byte[] WriteMerged(Run run, string requestId) =>
        SeldonJson.WriteUtf8Object((self: this, run, requestId), static (w, s) => s.self.WriteMerged(w, s.run, s.requestId));

    private void WriteMerged(Utf8JsonWriter w, Run run, string requestId)
    {
        var first = run.Lines[run.First];
        w.WritePropertyName("data"u8);
        w.WriteStartObject();
        if (first.Source?.Names is { } names)
        {
            w.WritePropertyName("names"u8);
            names.WriteTo(w);
        }

        if (first.Source is { IsTensor: true } tensor)
        {
            // A run of tensors: tensor lines alone (Joins), each with a source of its own.
            var sources = run.Lines.Take(run.End).Skip(run.Start).Select(l => l.Source).OfType<RowSource>().ToList();
            var dims = (int[])tensor.Dimensions.Clone();
            dims[0] = sources.Sum(r => r.Rows);
            WriteTensor(w, dims, sources.SelectMany(r => r.Values));
        }
        else
        {
            w.WritePropertyName("ndarray"u8);
            w.WriteStartArray();
            for (var n = run.Start; n < run.End; n++)
            {
                ref readonly var line = ref run.Lines[n];
                if (line.Scanned.IsScanned)
                {
                    run.Scanned!.WriteRows(w, line.Scanned);
                }
                else
                {
                    line.Source?.WriteRows(w);
                }
            }

            w.WriteEndArray();
        }

        w.WriteEndObject();
        w.WritePropertyName("meta"u8);
        w.WriteStartObject();
        w.WritePropertyName("tags"u8);
        w.WriteStartObject();
        w.WriteString(BatchTags.BatchId, _settings.BatchId);
        w.WriteNumber(BatchTags.BatchIndex, first.Line.Index);
        w.WriteString(BatchTags.BatchInstanceId, requestId);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private ReadLine Read(InputLine line, ScannedRows? scanned)
    {
        if (line.Failure is { } failure)
        {
            return new ReadLine(line, null, failure, null, null);
        }

        if (line.IsBlank)
        {
            return new ReadLine(line, null, "blank line: there is no instance to send", null, null);
        }

        JsonNode? node;
        try
        {
            if (_settings.DataType == DataType.Data && _settings.PayloadType == PayloadType.Ndarray)
            {
                // Lines of numbers are scanned into the group's buffer, without a document; anything else takes the
                // document path.
                if (scanned is not null && scanned.TryAdd(line, out var scan))
                {
                    return scan.Rows == 0 ? new ReadLine(line, null, NoRows, null, null) : new ReadLine(line, null, null, null, null, scan);
                }

                var read = RowSource.FromNdarray(SeldonJson.ParseDocument(line.Text), out var readError);
                return Checked(line, read, readError, null);
            }

            node = SeldonJson.Parse(line.Text);
        }
        catch (JsonException ex)
        {
            return new ReadLine(line, null, $"invalid JSON: {ex.Message}", null, null);
        }

        if (_settings.DataType != DataType.Raw)
        {
            var source = RowSource.FromArray(node, _settings.PayloadType == PayloadType.Tensor, null, out var error);
            return Checked(line, source, error, null);
        }

        return node is JsonObject message
            ? ReadRaw(line, message)
            : new ReadLine(line, null, $"wrong shape: a raw line must be a JSON object, found {SeldonJson.Describe(node)}", null, null);
    }

    /// <summary>A raw line's message: its rows when this request can take them, or the message, to travel alone.</summary>
    private static ReadLine ReadRaw(InputLine line, JsonObject message)
    {
        // The user's tags first: a line that cannot be sent keeps them in its error record.
        var tags = TagsOf(message, create: false, out var tagsError);
        var userTags = tags is null ? null : (JsonObject)tags.DeepClone();
        if (tagsError is not null)
        {
            return new ReadLine(line, null, tagsError, userTags, null);
        }

        var rows = RowSource.FromMessage(message, out _);
        if (rows is null || rows.Rows == 0)
        {
            // No rows this request can take (another payload, or data the model must judge): sent alone, as at batch size 1.
            rows?.Dispose();
            return new ReadLine(line, null, null, null, message);
        }

        return new ReadLine(line, rows, null, userTags, null);
    }

    private const string NoRows = "wrong shape: the line has no rows";

    private static ReadLine Checked(InputLine line, RowSource? source, string? error, JsonObject? userTags)
    {
        if (source is null)
        {
            return new ReadLine(line, null, error, userTags, null);
        }

        if (source.Rows == 0)
        {
            source.Dispose();
            return new ReadLine(line, null, NoRows, userTags, null);
        }

        return new ReadLine(line, source, null, userTags, null);
    }
}
