using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Seldon.Batch.Dataflow;

// A group of data lines that the scan takes whole: its requests written from the lines' values scanned into one buffer.
internal sealed partial class InferenceRequestEncoder
{
    /// <summary>What a group's scan learns, one per thread, emptied for each group: each line's index and rows, and each
    /// run of lines that goes in one request (the lines' values are back to back in the <see cref="ScannedValues"/>, so a
    /// run's data is one span of it).</summary>
    private sealed class ScannedRuns
    {
        public readonly List<(long Index, int Rows)> Lines = new(64);
        public readonly List<Run> Runs = new(4);

        /// <summary>The dimensions after the first of each run, one after another (a run's from its ShapeStart).</summary>
        public readonly List<int> Shapes = new(8);

        public void Clear()
        {
            Lines.Clear();
            Runs.Clear();
            Shapes.Clear();
        }

        /// <summary>Whether a line of <paramref name="datatype"/> and <paramref name="dimensions"/> has the merge key of
        /// the last run: the same datatype and dimensions after the first (the name is the run's one input name).</summary>
        public bool JoinsLast(string datatype, ReadOnlySpan<int> dimensions)
        {
            var run = Runs[^1];
            return run.Datatype == datatype && dimensions.Length - 1 == run.ShapeLength
                && dimensions[1..].SequenceEqual(CollectionsMarshal.AsSpan(Shapes).Slice(run.ShapeStart, run.ShapeLength));
        }

        /// <summary>Adds a line: to the last run when <paramref name="joins"/>, else as the first of a new one. Its values
        /// end at <paramref name="end"/>, after a comma at <paramref name="comma"/> (a new run's data starts after it).</summary>
        public void Add(long index, string datatype, ReadOnlySpan<int> dimensions, int comma, int end, bool joins)
        {
            Lines.Add((index, dimensions[0]));
            if (joins)
            {
                var last = Runs[^1];
                Runs[^1] = last with { Count = last.Count + 1, Rows = last.Rows + dimensions[0], ValuesEnd = end };
                return;
            }

            Runs.Add(new Run(Lines.Count - 1, 1, datatype, dimensions[0], comma + 1, end, Shapes.Count, dimensions.Length - 1));
            foreach (var d in dimensions[1..])
            {
                Shapes.Add(d);
            }
        }
    }

    /// <summary>A run of <paramref name="Count"/> lines from line <paramref name="First"/> of the group: one request.</summary>
    private readonly record struct Run(int First, int Count, string Datatype, long Rows, int ValuesStart, int ValuesEnd, int ShapeStart, int ShapeLength);

    [ThreadStatic]
    private static ScannedRuns? t_runs;

    /// <summary>The requests of a group of data lines when the scan takes every one of them (each an array of numbers or
    /// booleans whose shape and datatype it can tell, as <see cref="Scan"/>): the same requests, byte for byte, as the
    /// line-by-line path, with no object per line and the values copied once from the scan's buffer into the body.
    /// Null when a line is not such (or failed before), for that path to encode the whole group.</summary>
    internal List<EncodedBatch>? EncodeScanned(IReadOnlyList<InputLine> lines)
    {
        var scanned = ScannedValues.Start();
        var scan = t_scan ??= new TensorScan();
        var runs = t_runs ??= new ScannedRuns();
        runs.Clear();
        for (var n = 0; n < lines.Count; n++)
        {
            var line = lines[n];
            if (line.Failure is not null || !scanned.TryScan(line, scan, out var comma, out var end, out var dimensions)
                || scan.Datatype(settings.Datatype, dimensions.Length) is not { } datatype)
            {
                return null;
            }

            runs.Add(line.Index, datatype, dimensions, comma, end, n > 0 && settings.BatchSize > 1 && runs.JoinsLast(datatype, dimensions));
        }

        // The ids are drawn once every line is known to be taken, so a group that falls back draws the same ones.
        var batches = new List<EncodedBatch>(runs.Runs.Count);
        foreach (var run in runs.Runs)
        {
            batches.Add(WriteScanned(runs, run, scanned));
        }

        return batches;
    }

    /// <summary>The request of one run: its members and its body.</summary>
    private EncodedBatch WriteScanned(ScannedRuns runs, Run run, ScannedValues scanned)
    {
        var id = _newId();
        var members = new List<BatchMember>(run.Count);
        for (var n = 0; n < run.Count; n++)
        {
            var (index, rows) = runs.Lines[run.First + n];
            var member = run.Count == 1 ? new BatchMember(index, id) : new BatchMember(index, id, n);
            member.Rows = rows;
            member.InferenceId = id;
            members.Add(member);
        }

        var shape = CollectionsMarshal.AsSpan(runs.Shapes).Slice(run.ShapeStart, run.ShapeLength);
        var body = ScannedBody(id, run, shape, scanned.Bytes(run.ValuesStart, run.ValuesEnd));
        return EncodedBatch.OfUtf8(members, body, id, run.Count > 1);
    }

    /// <summary>What follows a request's data: the end of the data array, of the input, of the inputs and of the request.</summary>
    private static ReadOnlySpan<byte> ScannedBodyEnd => "]}]}"u8;

    /// <summary>The body <see cref="WriteRequest"/> writes for a run of scanned lines: its start, up to the data array,
    /// written by the writer, then the values as they are and the end, into an array of the body's length.</summary>
    private byte[] ScannedBody(string id, Run run, ReadOnlySpan<int> shape, ReadOnlySpan<byte> values)
    {
        var start = t_bodyStart ??= new BodyStart();
        var w = start.Writer;
        w.Reset(start.Buffer);
        start.Buffer.ResetWrittenCount();
        w.WriteStartObject();
        SeldonJson.WritePlainString(w, IdName, id);
        w.WriteStartArray(InputsName);
        w.WriteStartObject();
        w.WriteString(NameName, _inputNameText);
        w.WriteStartArray(ShapeName);
        w.WriteNumberValue(run.Rows);
        foreach (var d in shape)
        {
            w.WriteNumberValue(d);
        }

        w.WriteEndArray();
        WriteText(w, DatatypeName, run.Datatype, DatatypeTexts.TryGetValue(run.Datatype, out var datatype) ? datatype : null);
        w.WriteStartArray(DataName);
        w.Flush();
        var head = start.Buffer.WrittenSpan;
        var body = GC.AllocateUninitializedArray<byte>(head.Length + values.Length + ScannedBodyEnd.Length);
        head.CopyTo(body);
        values.CopyTo(body.AsSpan(head.Length));
        ScannedBodyEnd.CopyTo(body.AsSpan(head.Length + values.Length));
        return body;
    }

    /// <summary>The writer of a scanned request's start, one per thread.</summary>
    private sealed class BodyStart
    {
        public BodyStart() => Writer = new Utf8JsonWriter(Buffer, SeldonJson.WriterOptions);

        public ArrayBufferWriter<byte> Buffer { get; } = new(256);

        public Utf8JsonWriter Writer { get; }
    }

    [ThreadStatic]
    private static BodyStart? t_bodyStart;
}
