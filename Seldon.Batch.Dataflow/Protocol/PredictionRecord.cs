using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace Seldon.Batch.Dataflow;

/// <summary>Reads one record of a run (an output line: a prediction or an error record, Seldon or Open Inference) into
/// the prediction columns of its table row. Seldon: one column per name in the answer's <c>data.names</c> (without names,
/// or with as many names as values, <c>prediction</c> for one value, else <c>prediction_0</c>, <c>prediction_1</c>…)
/// holding the row's value of <c>data.ndarray</c> or <c>data.tensor</c>; a <c>strData</c>, <c>binData</c>,
/// <c>jsonData</c>, <c>customData</c> or <c>tftensor</c> answer gives one <c>prediction</c> column holding its text (the
/// JSON text of a JSON value). Open Inference: one column per output, named after it, a scalar when the row's slice holds
/// one element, else a list. Numbers are read as doubles, booleans as booleans, text as strings. An error record gives
/// no column but its reason (Seldon <c>status.reason</c>, Open Inference <c>error.msg</c>). Read with
/// <see cref="Utf8JsonReader"/> straight from the record's bytes, and made for reading many records of one run in a row
/// (a table output reads every record twice): the column names of the record before are reused when a record repeats
/// them, and a reader that needs only the columns' types (<c>withValues</c> false) reads no value, giving a
/// placeholder of the value's type instead.</summary>
/// <param name="withValues">Whether the cells hold the values (else a placeholder of each value's type: 0, true, "").</param>
internal sealed class PredictionRecord(bool withValues = true)
{
    /// <summary>The column of an answer that has one value, or no names.</summary>
    public const string Unnamed = "prediction";

    private const string UnknownFailure = "unknown failure";

    /// <summary>What a number, a boolean and a text are read as when only the columns' types are wanted.</summary>
    private static readonly object NumberSeen = 0.0, BoolSeen = true;
    private const string TextSeen = "";

    /// <summary>The names of the columns of answers without names, made once.</summary>
    private static readonly string[] UnnamedColumns = [.. Enumerable.Range(0, 64).Select(j => string.Create(CultureInfo.InvariantCulture, $"{Unnamed}_{j}"))];

    /// <summary>How a Seldon run's record starts: with its answer's meta.</summary>
    private static ReadOnlySpan<byte> MetaFirst => "{\"meta\":{"u8;

    /// <summary>What ends an object, opens one or starts a string; and what ends a string or escapes a character.</summary>
    private static readonly SearchValues<byte> Braces = SearchValues.Create("{}\""u8), StringEnds = SearchValues.Create("\"\\"u8);

    /// <summary>What matching a meta's braces looks at: braces, quotes and the backslashes that escape within strings.</summary>
    private static readonly SearchValues<byte> MetaStructure = SearchValues.Create("{}\"\\"u8);

    /// <summary>The bytes up to the end of the meta of the last record whose meta was found to close there by matching its
    /// braces (see <see cref="SameMeta"/>).</summary>
    private byte[] _meta = [];

    /// <summary>A record without its meta, reused from record to record.</summary>
    private byte[] _withoutMeta = new byte[256];

    /// <summary>The <c>data.names</c> of the last Seldon answer read, as its JSON bytes and as names.</summary>
    private byte[] _namesJson = [];
    private List<string> _names = [];

    /// <summary>The values of a one-row ndarray, reused from record to record.</summary>
    private readonly List<object?> _ndarrayRow = [];

    /// <summary>Where the values of the last one-row ndarray read lie (from its first value to after its row's closing
    /// bracket); -1 when the last ndarray read was not one row of values.</summary>
    private (int Start, int End) _rowValues = (-1, -1);

    /// <summary>The shape of the last <c>data</c> answer read whole (see <see cref="ReadRepeated"/>): its bytes before
    /// and after its row's values, and its cells' names; no names when none is remembered.</summary>
    private byte[] _repeatBefore = [], _repeatAfter = [];
    private string[] _repeatNames = [];
    private object?[] _repeatValues = [];

    /// <summary>The output names of the last Open Inference answer read, by position.</summary>
    private readonly List<(byte[] Utf8, string Name)> _outputNames = [];

    /// <summary>Reads <paramref name="record"/> into <paramref name="cells"/> (cleared first) and returns the reason of an
    /// error record (its cells are then empty), or null for a prediction.</summary>
    /// <exception cref="InvalidDataException">The record is not a JSON object.</exception>
    public string? Read(ReadOnlySpan<byte> record, List<PredictionCell> cells)
    {
        cells.Clear();
        record = WithoutMeta(record);
        try
        {
            var reader = new Utf8JsonReader(record, new JsonReaderOptions { MaxDepth = 256 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new InvalidDataException("the record is not a JSON object");
            }

            string? error = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.ValueSpan;
                reader.Read();
                ReadField(name, ref reader, record, cells, ref error);
            }

            if (error is not null)
            {
                cells.Clear();
            }

            return error;
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"the record is not JSON ({ex.Message})", ex);
        }
    }

    /// <summary>Reads <paramref name="record"/> as <see cref="Read(ReadOnlySpan{byte}, List{PredictionCell})"/> does, told
    /// where the model's answer lies in it (<see cref="InstanceResult.Prediction"/>: the <paramref name="answerLength"/>
    /// bytes from <paramref name="answerStart"/>, the value of its payload field; a negative start when not known). A
    /// Seldon record that is its meta and that field alone, <c>{"meta":{…},"data":…}</c> (a run's usual record), is read
    /// from the answer's bytes, its meta passed over by its braces only to see that nothing lies between it and the answer;
    /// and a <c>data</c> answer of the shape of the last one read so (the same bytes around the values of its one-row
    /// ndarray, as many values) has only its values read. Any other record is read whole.</summary>
    /// <exception cref="InvalidDataException">The record is not a JSON object.</exception>
    public string? Read(ReadOnlySpan<byte> record, int answerStart, int answerLength, List<PredictionCell> cells)
    {
        if (answerStart < 0 || AnswerField(record, answerStart, answerLength) is not { Length: > 0 } field)
        {
            return Read(record, cells);
        }

        cells.Clear();
        var answer = record.Slice(answerStart, answerLength);
        if (field.SequenceEqual("data"u8) && ReadRepeated(answer, cells))
        {
            return null;
        }

        try
        {
            // The answer is one level down in the record, whose reader allows 256.
            var reader = new Utf8JsonReader(answer, new JsonReaderOptions { MaxDepth = 255 });
            reader.Read();
            string? error = null;
            _rowValues = (-1, -1);
            ReadField(field, ref reader, answer, cells, ref error);
            if (error is not null)
            {
                cells.Clear();
            }

            Remember(field, answer, cells);
            return error;
        }
        catch (JsonException)
        {
            // Read whole, for the message of the whole record's failure.
            return Read(record, cells);
        }
    }

    /// <summary>One field of a record, the reader at its value: its cells, or its failure's reason.</summary>
    private void ReadField(ReadOnlySpan<byte> name, ref Utf8JsonReader reader, ReadOnlySpan<byte> json, List<PredictionCell> cells, ref string? error)
    {
        if (name.SequenceEqual("status"u8))
        {
            error ??= SeldonFailure(ref reader);
        }
        else if (name.SequenceEqual("error"u8))
        {
            error ??= OpenInferenceFailure(ref reader);
        }
        else if (name.SequenceEqual("data"u8))
        {
            ReadSeldonData(ref reader, json, cells);
        }
        else if (name.SequenceEqual("outputs"u8))
        {
            ReadOutputs(ref reader, cells);
        }
        else if (name.SequenceEqual("strData"u8) || name.SequenceEqual("binData"u8))
        {
            cells.Add(new PredictionCell(Unnamed, reader.TokenType == JsonTokenType.String && withValues ? reader.GetString() : Text(ref reader)));
        }
        else if (name.SequenceEqual("jsonData"u8) || name.SequenceEqual("customData"u8))
        {
            cells.Add(new PredictionCell(Unnamed, Text(ref reader)));
        }
        else
        {
            reader.Skip();
        }
    }

    /// <summary>The name of the field whose value is the answer, when <paramref name="record"/> is
    /// <c>{"meta":{…},"name":answer}</c>: its meta (an object, its braces matched as <see cref="WithoutMeta"/> does, or
    /// as <see cref="SameMeta"/> finds them), then that field alone, its name unescaped; else empty (the record is read
    /// whole).</summary>
    private ReadOnlySpan<byte> AnswerField(ReadOnlySpan<byte> record, int answerStart, int answerLength)
    {
        var end = answerStart + answerLength;
        if (answerLength <= 0 || end != record.Length - 1 || record[end] != (byte)'}' || !record.StartsWith(MetaFirst)
            || answerStart < MetaFirst.Length + 5 || record[answerStart - 1] != (byte)':' || record[answerStart - 2] != (byte)'"')
        {
            return default;
        }

        // The name: back to its opening quote, which a comma that ends the meta precedes.
        var before = record[..(answerStart - 2)];
        var open = before.LastIndexOfAny(StringEnds);
        if (open < MetaFirst.Length + 1 || before[open] != (byte)'"' || before[open - 1] != (byte)',')
        {
            return default;
        }

        var meta = record[..(open - 1)];
        if (!SameMeta(meta))
        {
            if (EndOfObject(record, MetaFirst.Length - 1) != meta.Length)
            {
                return default;
            }

            _meta = meta.ToArray();
        }

        return before[(open + 1)..];
    }

    /// <summary>Whether <paramref name="meta"/> (a record's bytes up to the comma after its meta) is an object that closes
    /// at its end because the last meta found so (<see cref="_meta"/>) did: as long, and where they differ (a record's
    /// <c>batch_index</c>, its instance id) neither byte is a brace, a quote or a backslash, so that matching the braces
    /// meets the same ones at the same places in both. Gives up, for the braces to be matched, after a few differences.</summary>
    private bool SameMeta(ReadOnlySpan<byte> meta)
    {
        ReadOnlySpan<byte> known = _meta;
        if (known.Length != meta.Length)
        {
            return false;
        }

        for (var differences = 0; differences < 8; differences++)
        {
            var same = meta.CommonPrefixLength(known);
            if (same == meta.Length)
            {
                return true;
            }

            if (MetaStructure.Contains(meta[same]) || MetaStructure.Contains(known[same]))
            {
                return false;
            }

            meta = meta[(same + 1)..];
            known = known[(same + 1)..];
        }

        return false;
    }

    /// <summary>Reads a <c>data</c> answer of the shape remembered (<see cref="Remember"/>): the same bytes before and after
    /// the values of its one-row ndarray, and as many values, none an array or an object: the cells are the remembered names
    /// with these values, as reading the answer whole gives. False, the cells untouched, for any other answer.</summary>
    private bool ReadRepeated(ReadOnlySpan<byte> answer, List<PredictionCell> cells)
    {
        if (_repeatNames.Length == 0 || answer.Length < _repeatBefore.Length + _repeatAfter.Length
            || !answer.StartsWith(_repeatBefore) || !answer.EndsWith(_repeatAfter))
        {
            return false;
        }

        // The row's array: the remembered bytes before end with its '[', those after start with its ']'.
        var row = answer[(_repeatBefore.Length - 1)..(answer.Length - _repeatAfter.Length + 1)];
        var values = _repeatValues;
        try
        {
            var reader = new Utf8JsonReader(row);
            reader.Read();
            var count = 0;
            while (reader.Read() && reader.TokenType is not (JsonTokenType.EndArray or JsonTokenType.StartArray or JsonTokenType.StartObject) && count < values.Length)
            {
                values[count++] = Scalar(ref reader);
            }

            if (count != values.Length || reader.TokenType != JsonTokenType.EndArray || reader.BytesConsumed != row.Length)
            {
                return false;
            }
        }
        catch (JsonException)
        {
            return false;
        }

        for (var j = 0; j < values.Length; j++)
        {
            cells.Add(new PredictionCell(_repeatNames[j], values[j]));
        }

        return true;
    }

    /// <summary>Remembers the shape of a <c>data</c> answer just read whole when its cells are the values of its one-row
    /// ndarray, one each and in order (see <see cref="ReadRepeated"/>); else forgets the shape remembered.</summary>
    private void Remember(ReadOnlySpan<byte> field, ReadOnlySpan<byte> answer, List<PredictionCell> cells)
    {
        var (start, end) = _rowValues;
        if (!field.SequenceEqual("data"u8) || start < 1 || end <= start || end > answer.Length || answer[start - 1] != (byte)'[' || answer[end - 1] != (byte)']'
            || cells.Count == 0 || cells.Count != _ndarrayRow.Count)
        {
            _repeatNames = [];
            return;
        }

        _repeatBefore = answer[..start].ToArray();
        _repeatAfter = answer[(end - 1)..].ToArray();
        _repeatNames = [.. cells.Select(static c => c.Name)];
        _repeatValues = new object?[cells.Count];
    }

    /// <summary>The record without a leading <c>meta</c>: a Seldon run's records start with their answer's meta (the batch's
    /// tags, most of a record's bytes), which no column comes from, so it is passed over by matching its braces (strings
    /// respected) rather than read token by token, and the rest is read as a record of its own. A record of another
    /// shape, or whose meta does not close, is read as it is.</summary>
    private ReadOnlySpan<byte> WithoutMeta(ReadOnlySpan<byte> record)
    {
        if (!record.StartsWith(MetaFirst) || EndOfObject(record, MetaFirst.Length - 1) is not (>= 0 and var end) || end >= record.Length || record[end] != (byte)',')
        {
            return record;
        }

        var rest = record[(end + 1)..];
        if (_withoutMeta.Length <= rest.Length)
        {
            _withoutMeta = new byte[Math.Max(rest.Length + 1, _withoutMeta.Length * 2)];
        }

        _withoutMeta[0] = (byte)'{';
        rest.CopyTo(_withoutMeta.AsSpan(1));
        return _withoutMeta.AsSpan(0, rest.Length + 1);
    }

    /// <summary>Where the object that opens at <paramref name="start"/> ends (the index after its closing brace); -1 when it
    /// does not close.</summary>
    private static int EndOfObject(ReadOnlySpan<byte> json, int start)
    {
        var depth = 0;
        var i = start;
        while (i < json.Length)
        {
            var next = json[i..].IndexOfAny(Braces);
            if (next < 0)
            {
                return -1;
            }

            i += next;
            switch (json[i++])
            {
                case (byte)'{':
                    depth++;
                    break;
                case (byte)'}':
                    if (--depth == 0)
                    {
                        return i;
                    }

                    break;
                default:
                    // A string: to its closing quote, past escaped characters.
                    while (true)
                    {
                        var end = i < json.Length ? json[i..].IndexOfAny(StringEnds) : -1;
                        if (end < 0)
                        {
                            return -1;
                        }

                        i += end;
                        if (json[i] == (byte)'"')
                        {
                            i++;
                            break;
                        }

                        i += 2;
                    }

                    break;
            }
        }

        return -1;
    }

    /// <summary>The reason of a Seldon error record (<c>status.status</c> 1); null for any other status.</summary>
    private static string? SeldonFailure(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return null;
        }

        var failed = false;
        string? reason = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.ValueSpan;
            reader.Read();
            if (name.SequenceEqual("status"u8) && reader.TokenType == JsonTokenType.Number)
            {
                failed = reader.TryGetInt32(out var status) && status == 1;
            }
            else if (name.SequenceEqual("reason"u8) && reader.TokenType == JsonTokenType.String)
            {
                reason = reader.GetString();
            }
            else
            {
                reader.Skip();
            }
        }

        return failed ? (string.IsNullOrEmpty(reason) ? UnknownFailure : reason) : null;
    }

    /// <summary>The message of an Open Inference error record (<c>error.msg</c>).</summary>
    private static string? OpenInferenceFailure(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return null;
        }

        string? message = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.ValueSpan;
            reader.Read();
            if (name.SequenceEqual("msg"u8) && reader.TokenType == JsonTokenType.String)
            {
                message = reader.GetString();
            }
            else
            {
                reader.Skip();
            }
        }

        return string.IsNullOrEmpty(message) ? UnknownFailure : message;
    }

    /// <summary>A Seldon answer's <c>data</c>: its names and its ndarray or tensor (a tftensor as its JSON text).</summary>
    private void ReadSeldonData(ref Utf8JsonReader reader, ReadOnlySpan<byte> record, List<PredictionCell> cells)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return;
        }

        List<string>? names = null;
        List<object?>? ndarray = null;
        (List<int> Shape, List<object?> Values)? tensor = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.ValueSpan;
            reader.Read();
            if (name.SequenceEqual("names"u8) && reader.TokenType == JsonTokenType.StartArray)
            {
                names = ReadNames(ref reader, record);
            }
            else if (name.SequenceEqual("ndarray"u8) && reader.TokenType == JsonTokenType.StartArray)
            {
                ndarray = ReadOneRow(ref reader) ?? ReadArray(ref reader);
            }
            else if (name.SequenceEqual("tensor"u8) && reader.TokenType == JsonTokenType.StartObject)
            {
                tensor = ReadTensor(ref reader);
            }
            else if (name.SequenceEqual("tftensor"u8))
            {
                cells.Add(new PredictionCell(Unnamed, Text(ref reader)));
            }
            else
            {
                reader.Skip();
            }
        }

        var values = ndarray is not null ? RowOfArray(ndarray) : tensor is { } t ? RowOfTensor(t.Shape, t.Values) : null;
        if (values is null)
        {
            return;
        }

        for (var j = 0; j < values.Count; j++)
        {
            cells.Add(new PredictionCell(names is not null && names.Count == values.Count ? names[j] : UnnamedColumn(j, values.Count), values[j]));
        }
    }

    /// <summary>The values of an ndarray that is one row of values (<c>[[1,2]]</c>) or a flat array of them (<c>[1,2]</c>),
    /// a run's usual record, read into a list reused from record to record (<see cref="RowOfArray"/> gives both the same
    /// row); null, the reader where it was, for any other ndarray (a value that is an array, or several rows).</summary>
    private List<object?>? ReadOneRow(ref Utf8JsonReader reader)
    {
        var start = reader;
        var row = _ndarrayRow;
        row.Clear();
        _rowValues = (-1, -1);
        var first = (int)reader.TokenStartIndex + 1;
        reader.Read();
        var nested = reader.TokenType == JsonTokenType.StartArray;
        if (nested)
        {
            first = (int)reader.TokenStartIndex + 1;
            reader.Read();
        }

        for (; reader.TokenType != JsonTokenType.EndArray; reader.Read())
        {
            if (reader.TokenType == JsonTokenType.StartArray)
            {
                reader = start;
                return null;
            }

            row.Add(Scalar(ref reader));
        }

        var end = (int)reader.TokenStartIndex + 1;
        if (nested && (!reader.Read() || reader.TokenType != JsonTokenType.EndArray))
        {
            // Another row follows the first.
            reader = start;
            return null;
        }

        _rowValues = (first, end);
        return row;
    }

    /// <summary>The name of value <paramref name="j"/> of <paramref name="count"/> of an answer without names.</summary>
    public static string UnnamedColumn(int j, int count) =>
        count == 1 ? Unnamed : j < UnnamedColumns.Length ? UnnamedColumns[j] : string.Create(CultureInfo.InvariantCulture, $"{Unnamed}_{j}");

    /// <summary>The names of <c>data.names</c>: those of the answer before when its JSON is the same (it nearly always
    /// is), so that a run's records do not make their names anew each.</summary>
    private List<string> ReadNames(ref Utf8JsonReader reader, ReadOnlySpan<byte> record)
    {
        var start = (int)reader.TokenStartIndex;
        reader.Skip();
        var json = record[start..(int)reader.BytesConsumed];
        if (json.SequenceEqual(_namesJson))
        {
            return _names;
        }

        var names = new List<string>();
        var array = new Utf8JsonReader(json);
        array.Read();
        while (array.Read() && array.TokenType != JsonTokenType.EndArray)
        {
            names.Add(array.TokenType == JsonTokenType.String ? array.GetString()! : RawText(ref array));
        }

        (_namesJson, _names) = (json.ToArray(), names);
        return names;
    }

    /// <summary>The row's values of an ndarray slice: a flat array is one row of values; an array of one row is that row
    /// (a value that is itself an array is a list); several rows give each column the list of its values down the rows.</summary>
    private static List<object?> RowOfArray(List<object?> ndarray)
    {
        if (!ndarray.Exists(static item => item is List<object?>))
        {
            return ndarray;
        }

        if (ndarray.Count == 1)
        {
            var row = (List<object?>)ndarray[0]!;
            return row.Exists(static value => value is List<object?>) ? row.ConvertAll(static value => value is List<object?> nested ? Flatten(nested) : value) : row;
        }

        var columns = ndarray.Max(static row => row is List<object?> values ? values.Count : 1);
        var result = new List<object?>(columns);
        for (var j = 0; j < columns; j++)
        {
            var down = new List<object?>();
            foreach (var row in ndarray)
            {
                var value = row is List<object?> values ? (j < values.Count ? values[j] : null) : (j == 0 ? row : null);
                AddFlat(value, down);
            }

            result.Add(down.ToArray());
        }

        return result;
    }

    /// <summary>The row's values of a tensor slice: shape [n] is one row of n values; [r, c, …] is c columns, each value
    /// the elements under it (a list when there are several, or when r rows share the slice).</summary>
    private static List<object?> RowOfTensor(List<int> shape, List<object?> values)
    {
        if (shape.Count <= 1)
        {
            return values;
        }

        long rows = shape[0], columns = shape[1], cell = 1;
        foreach (var dimension in shape.Skip(2))
        {
            cell *= dimension;
        }

        if (rows * columns * cell != values.Count || rows == 0)
        {
            // A shape that does not describe its values: the values as one row, as they come.
            return values;
        }

        var result = new List<object?>((int)columns);
        for (var j = 0; j < columns; j++)
        {
            if (rows == 1 && cell == 1)
            {
                result.Add(values[j]);
                continue;
            }

            var elements = new object?[rows * cell];
            for (var i = 0; i < rows; i++)
            {
                values.CopyTo((int)(((i * columns) + j) * cell), elements, (int)(i * cell), (int)cell);
            }

            result.Add(elements);
        }

        return result;
    }

    private (List<int> Shape, List<object?> Values) ReadTensor(ref Utf8JsonReader reader)
    {
        var shape = new List<int>();
        var values = new List<object?>();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.ValueSpan;
            reader.Read();
            if (name.SequenceEqual("shape"u8) && reader.TokenType == JsonTokenType.StartArray)
            {
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    shape.Add(reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var n) ? n : -1);
                }
            }
            else if (name.SequenceEqual("values"u8) && reader.TokenType == JsonTokenType.StartArray)
            {
                AddFlat(ReadArray(ref reader), values);
            }
            else
            {
                reader.Skip();
            }
        }

        return (shape, values);
    }

    /// <summary>An Open Inference answer's outputs, each the row's slice of one output tensor.</summary>
    private void ReadOutputs(ref Utf8JsonReader reader, List<PredictionCell> cells)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return;
        }

        var position = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                continue;
            }

            string? name = null;
            string? datatype = null;
            var data = new List<object?>();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var property = reader.ValueSpan;
                reader.Read();
                if (property.SequenceEqual("name"u8) && reader.TokenType == JsonTokenType.String)
                {
                    name = OutputName(ref reader, position);
                }
                else if (property.SequenceEqual("datatype"u8) && reader.TokenType == JsonTokenType.String)
                {
                    datatype = reader.GetString();
                }
                else if (property.SequenceEqual("data"u8) && reader.TokenType == JsonTokenType.StartArray)
                {
                    AddFlat(ReadArray(ref reader), data);
                }
                else
                {
                    reader.Skip();
                }
            }

            if (datatype == "BYTES")
            {
                // Text: a number among it (a server that wrote one) stays text.
                data = data.ConvertAll(static value => value is double d ? d.ToString("R", CultureInfo.InvariantCulture) : value);
            }

            cells.Add(new PredictionCell(string.IsNullOrEmpty(name) ? Unnamed : name, data.Count == 1 ? data[0] : data.ToArray()));
            position++;
        }
    }

    /// <summary>The name of the output at <paramref name="position"/>: the one of the answer before when it is the same.</summary>
    private string OutputName(ref Utf8JsonReader reader, int position)
    {
        if (position < _outputNames.Count && !reader.ValueIsEscaped && reader.ValueSpan.SequenceEqual(_outputNames[position].Utf8))
        {
            return _outputNames[position].Name;
        }

        var name = reader.GetString()!;
        var entry = (reader.ValueIsEscaped ? [] : reader.ValueSpan.ToArray(), name);
        if (position < _outputNames.Count)
        {
            _outputNames[position] = entry;
        }
        else if (position == _outputNames.Count)
        {
            _outputNames.Add(entry);
        }

        return name;
    }

    /// <summary>An array read as a tree: scalars, and a <see cref="List{T}"/> for each nested array; an object inside it
    /// as its JSON text.</summary>
    private List<object?> ReadArray(ref Utf8JsonReader reader)
    {
        var items = new List<object?>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            items.Add(reader.TokenType == JsonTokenType.StartArray ? ReadArray(ref reader) : Scalar(ref reader));
        }

        return items;
    }

    /// <summary>A value: a number as a double (the <c>"NaN"</c>, <c>"Infinity"</c> and <c>"-Infinity"</c> that proto3 JSON
    /// writes for non-finite numbers too), a boolean, a string, null; an object as its JSON text.</summary>
    private object? Scalar(ref Utf8JsonReader reader) => !withValues ? Seen(ref reader) : reader.TokenType switch
    {
        JsonTokenType.Number => reader.TryGetDouble(out var number) ? number : double.Parse(reader.ValueSpan, CultureInfo.InvariantCulture),
        JsonTokenType.True => true,
        JsonTokenType.False => false,
        JsonTokenType.Null => null,
        JsonTokenType.String when reader.ValueTextEquals("NaN"u8) => double.NaN,
        JsonTokenType.String when reader.ValueTextEquals("Infinity"u8) => double.PositiveInfinity,
        JsonTokenType.String when reader.ValueTextEquals("-Infinity"u8) => double.NegativeInfinity,
        JsonTokenType.String => reader.GetString(),
        _ => RawText(ref reader),
    };

    /// <summary>The placeholder of the value at the reader, by its type (read past it).</summary>
    private static object? Seen(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Number:
            case JsonTokenType.String when reader.ValueTextEquals("NaN"u8) || reader.ValueTextEquals("Infinity"u8) || reader.ValueTextEquals("-Infinity"u8):
                return NumberSeen;
            case JsonTokenType.True or JsonTokenType.False:
                return BoolSeen;
            case JsonTokenType.Null:
                return null;
            default:
                reader.Skip();
                return TextSeen;
        }
    }

    /// <summary>The JSON text of the value at the reader, or its placeholder when values are not wanted.</summary>
    private string Text(ref Utf8JsonReader reader)
    {
        if (withValues)
        {
            return RawText(ref reader);
        }

        reader.Skip();
        return TextSeen;
    }

    private static object?[] Flatten(List<object?> nested)
    {
        var flat = new List<object?>();
        AddFlat(nested, flat);
        return flat.ToArray();
    }

    private static void AddFlat(object? value, List<object?> into)
    {
        if (value is List<object?> nested)
        {
            foreach (var item in nested)
            {
                AddFlat(item, into);
            }
        }
        else
        {
            into.Add(value);
        }
    }

    /// <summary>The JSON text of the value at the reader (read past it).</summary>
    private static string RawText(ref Utf8JsonReader reader)
    {
        using var value = JsonDocument.ParseValue(ref reader);
        return value.RootElement.GetRawText();
    }
}
