using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Seldon.Batch.Dataflow;

/// <summary>Makes a table row (the values of the model-input columns, in order) into the line the block sends: a
/// <see cref="TableRow"/>, the values' JSON written once, which the codecs lay out as the model's request without parsing
/// it (Seldon: <c>{"data":{"names":[…],"ndarray":[[…],…]}}</c> or a tensor of shape [rows, columns]; V2: one input per column
/// of shape [rows] with <c>parameters.content_type</c> <c>pd</c>, or one input of shape [rows, columns]), the rows of a
/// micro-batch merged into one request and the answer split back one record per row. A value the line cannot carry (a
/// null, NaN or an infinity; in a CSV column a text that is not of the column's type; for a V2 tensor of a given datatype,
/// a value that does not fit it) fails that row only: its line carries the failure, which the codec writes as its error
/// record, and its neighbours are sent. One instance serves one reading loop (it reuses its buffer).</summary>
internal sealed class RowLines
{
    private const string Uint64 = "UINT64";

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

    private readonly RowColumn[] _columns;
    private readonly ValueKind[] _kinds;
    private readonly RowLayout _layout;

    /// <summary>The V2 tensor's datatype when it was given (or read from the model's metadata) rather than read from the
    /// columns: each value is checked against it; null when the columns' types decide it.</summary>
    private readonly string? _checkedDatatype;

    private readonly ArrayBufferWriter<byte> _buffer = new(256);
    private readonly Utf8JsonWriter _writer;

    /// <summary>Whether every column holds integers and no datatype is checked: a row of <c>long</c> and <c>int</c>
    /// values is then written by <see cref="TryIntegers"/>, without the JSON writer.</summary>
    private readonly bool _integers;

    private RowLines(IReadOnlyList<RowColumn> columns, bool isTensor, IReadOnlyList<string> datatypes, string inputName, string? checkedDatatype)
    {
        _columns = [.. columns];
        _kinds = [.. _columns.Select(c => KindOf(c.ValueType))];
        _layout = new RowLayout([.. _columns.Select(c => c.Name)], isTensor, datatypes, inputName);
        _checkedDatatype = checkedDatatype;
        _writer = new Utf8JsonWriter(_buffer, WriterOptions);
        _integers = checkedDatatype is null && _kinds.All(k => k == ValueKind.Integer);
    }

    /// <summary>What a column's values are, as far as the model's line is concerned.</summary>
    private enum ValueKind
    {
        /// <summary>A type no line can carry (binary, a list, a nested value, a duration).</summary>
        Unsupported,
        Integer,
        Unsigned,
        Floating,
        Decimal,
        Boolean,
        Text,
        Date,
        Timestamp,
    }

    /// <summary>The lines of the <paramref name="columns"/> chosen as the model's input (<see cref="BatchOptions.Columns"/>),
    /// encoded as <paramref name="encoding"/> says (an Open Inference input's name and datatype may come from the model's
    /// metadata). The columns were checked by <see cref="Refusal"/>.</summary>
    public static RowLines Create(IReadOnlyList<RowColumn> columns, RowEncoding encoding)
    {
        if (encoding.Protocol == InferenceProtocol.Seldon)
        {
            return new RowLines(columns, encoding.PayloadType == PayloadType.Tensor, [], "", null);
        }

        if (encoding.V2Inputs == V2InputLayout.Columns)
        {
            return new RowLines(columns, false, [.. columns.Select(c => DatatypeOf(KindOf(c.ValueType)))], "", null);
        }

        var inferred = TensorDatatypeOf(columns);
        var datatype = encoding.InputDatatype.Length > 0 ? encoding.InputDatatype : inferred ?? TensorDatatype.Fp64;
        return new RowLines(
            columns, true, [datatype], encoding.InputName.Length > 0 ? encoding.InputName : OpenInferenceSettings.DefaultInputName, datatype == inferred ? null : datatype);
    }

    /// <summary>Why <paramref name="columns"/> (the chosen ones) cannot make the model's input under these settings; null
    /// when they can. Said at the start of the run, before any request: a binary, list, nested or duration column; with the
    /// Seldon protocol's tensor, a column that is not numeric; with one V2 tensor and no datatype set, columns of text and
    /// numbers together.</summary>
    public static string? Refusal(IReadOnlyList<RowColumn> columns, RowEncoding encoding)
    {
        if (columns.Count == 0)
        {
            return "the table has no columns to send";
        }

        foreach (var column in columns)
        {
            if (KindOf(column.ValueType) == ValueKind.Unsupported)
            {
                return $"column '{column.Name}' holds {Describe(column.ValueType)}, which cannot be a model input (only numbers, booleans, text, dates and timestamps can)";
            }
        }

        if (encoding.Protocol == InferenceProtocol.Seldon && encoding.PayloadType == PayloadType.Tensor)
        {
            var other = columns.FirstOrDefault(c => KindOf(c.ValueType) is not (ValueKind.Integer or ValueKind.Unsigned or ValueKind.Floating or ValueKind.Decimal));
            return other is null ? null
                : $"column '{other.Name}' holds {Describe(other.ValueType)}, but a Seldon tensor holds numbers only: choose numeric columns, or the ndarray payload";
        }

        if (encoding.Protocol == InferenceProtocol.V2 && encoding.V2Inputs == V2InputLayout.Tensor && encoding.InputDatatype.Length == 0 && TensorDatatypeOf(columns) is null)
        {
            return $"one tensor has one datatype, but the columns are of several kinds ({string.Join(", ", columns.Select(c => $"'{c.Name}' {DatatypeOf(KindOf(c.ValueType))}"))}): " +
                "choose columns of one kind, set the tensor's datatype, or send one input per column";
        }

        return null;
    }

    /// <summary>The line of row <paramref name="index"/> (its global number, <c>batch_index</c>): its values, or why
    /// the row cannot be sent.</summary>
    /// <param name="index">The row's number in the whole table, from 0.</param>
    /// <param name="row">The values of the chosen columns, in their order (the array may be reused after the call).</param>
    public InputLine Line(long index, object?[] row)
    {
        if (_integers && TryIntegers(row) is { } integers)
        {
            return new InputLine(index, "", null, integers);
        }

        for (var c = 0; c < _columns.Length; c++)
        {
            if (Problem(row[c], c) is { } problem)
            {
                return Failed(index, c, problem);
            }
        }

        _buffer.ResetWrittenCount();
        _writer.Reset();
        var ends = new int[_columns.Length];
        _writer.WriteStartArray();
        for (var c = 0; c < _columns.Length; c++)
        {
            WriteValue(row[c]!);
            ends[c] = (int)(_writer.BytesCommitted + _writer.BytesPending);
        }

        _writer.WriteEndArray();
        _writer.Flush();
        var values = new TableRow(_layout, _buffer.WrittenSpan.ToArray(), ends);
        if (_checkedDatatype is not null && Unfit(values) is var (column, refusal))
        {
            return Failed(index, column, refusal);
        }

        return new InputLine(index, "", null, values);
    }

    /// <summary>A row of <c>long</c> and <c>int</c> values (no null) as the JSON writer writes it (<c>[1,-2,3]</c>: each
    /// number's invariant digits, commas between, no spaces); null when a value is anything else (the writer's path then
    /// checks and writes the row).</summary>
    private TableRow? TryIntegers(object?[] row)
    {
        // 20 characters hold any long, and 1 a comma or a bracket.
        _buffer.ResetWrittenCount();
        var span = _buffer.GetSpan(1 + (21 * _columns.Length));
        var ends = new int[_columns.Length];
        span[0] = (byte)'[';
        var at = 1;
        for (var c = 0; c < ends.Length; c++)
        {
            long value;
            switch (row[c])
            {
                case long l: value = l; break;
                case int i: value = i; break;
                default: return null;
            }

            if (c > 0)
            {
                span[at++] = (byte)',';
            }

            Utf8Formatter.TryFormat(value, span[at..], out var written);
            at += written;
            ends[c] = at;
        }

        span[at++] = (byte)']';
        return new TableRow(_layout, span[..at].ToArray(), ends);
    }

    private InputLine Failed(long index, int column, string problem) =>
        new(index, "", $"invalid row: column '{_columns[column].Name}' of row {index} {problem}");

    /// <summary>The first value that does not fit the tensor's given datatype (an INT8 of 300, a text in FP64), as the
    /// codec checks a line of data: the row is refused before it is sent.</summary>
    private (int Column, string Refusal)? Unfit(TableRow values)
    {
        for (var c = 0; c < _columns.Length; c++)
        {
            var reader = new Utf8JsonReader(values.Value(c));
            if (TensorDatatype.Refuse(_checkedDatatype!, JsonElement.ParseValue(ref reader)) is { } refusal)
            {
                return (c, $"does not fit the tensor's datatype: {refusal}");
            }
        }

        return null;
    }

    /// <summary>Writes a value <see cref="Problem"/> accepted: integers as integers, doubles as Python writes them (the
    /// shortest digits that read back as the same double, <c>.0</c> after an integral one), a float as the shortest digits
    /// that read back as the same float, decimals exactly as they are, dates and timestamps as ISO-8601 text.</summary>
    private void WriteValue(object value)
    {
        var w = _writer;
        switch (value)
        {
            case long v: w.WriteNumberValue(v); break;
            case int v: w.WriteNumberValue(v); break;
            case short v: w.WriteNumberValue(v); break;
            case sbyte v: w.WriteNumberValue(v); break;
            case ulong v: w.WriteNumberValue(v); break;
            case uint v: w.WriteNumberValue(v); break;
            case ushort v: w.WriteNumberValue(v); break;
            case byte v: w.WriteNumberValue(v); break;
            case double v: PythonFloatText.Write(w, v); break;
            case float v: PythonFloatText.Write(w, double.Parse(v.ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture)); break;
            case decimal v: w.WriteNumberValue(v); break;
            case bool v: w.WriteBooleanValue(v); break;
            case string v: w.WriteStringValue(v); break;
            case DateOnly v: w.WriteStringValue(v.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)); break;
            case DateTime v: w.WriteStringValue(TimestampText(v)); break;
            case DateTimeOffset v: w.WriteStringValue(v.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFFzzz", CultureInfo.InvariantCulture)); break;
            default: throw new InvalidOperationException($"{value.GetType()} passed the row's check");
        }
    }

    /// <summary>ISO-8601 without trailing zeros in the fraction (none when it is whole seconds); <c>Z</c> for UTC.</summary>
    internal static string TimestampText(DateTime value) =>
        value.Kind == DateTimeKind.Local
            ? value.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture)
            : value.ToString(value.Kind == DateTimeKind.Utc ? "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'" : "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture);

    /// <summary>Why the value of column <paramref name="c"/> cannot go in the line (the rest of the sentence after
    /// "column 'x' of row n"); null when it can.</summary>
    private string? Problem(object? value, int c)
    {
        switch (value)
        {
            case null:
                return "is null: a model input needs a value";
            case double d when !double.IsFinite(d):
                return $"is {NonFinite(d)}, which JSON cannot carry";
            case float f when !float.IsFinite(f):
                return $"is {NonFinite(f)}, which JSON cannot carry";
        }

        var kind = KindOf(value.GetType());
        if (kind == _kinds[c] || (IsWhole(kind) && IsWhole(_kinds[c])))
        {
            return null;
        }

        // A CSV value that does not fit the type read from the column's first rows comes as its text.
        return kind == ValueKind.Unsupported
            ? $"holds {Describe(value.GetType())}, which cannot be a model input"
            : $"is {Quote(value)}, not {Describe(_columns[c].ValueType)} as the column's values are";
    }

    private static bool IsWhole(ValueKind kind) => kind is ValueKind.Integer or ValueKind.Unsigned;

    private static string NonFinite(double value) => double.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity";

    private static string Quote(object value)
    {
        var text = value is string s ? s : Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";
        return $"'{(text.Length > 40 ? text[..40] + "…" : text)}'";
    }

    private static ValueKind KindOf(Type type) =>
        type == typeof(long) || type == typeof(int) || type == typeof(short) || type == typeof(sbyte)
            || type == typeof(uint) || type == typeof(ushort) || type == typeof(byte) ? ValueKind.Integer
        : type == typeof(ulong) ? ValueKind.Unsigned
        : type == typeof(double) || type == typeof(float) ? ValueKind.Floating
        : type == typeof(decimal) ? ValueKind.Decimal
        : type == typeof(bool) ? ValueKind.Boolean
        : type == typeof(string) ? ValueKind.Text
        : type == typeof(DateOnly) ? ValueKind.Date
        : type == typeof(DateTime) || type == typeof(DateTimeOffset) ? ValueKind.Timestamp
        : ValueKind.Unsupported;

    /// <summary>A column's type in a message.</summary>
    private static string Describe(Type type) => KindOf(type) switch
    {
        ValueKind.Integer or ValueKind.Unsigned => "an integer",
        ValueKind.Floating or ValueKind.Decimal => "a number",
        ValueKind.Boolean => "a boolean",
        ValueKind.Text => "text",
        ValueKind.Date => "a date",
        ValueKind.Timestamp => "a timestamp",
        _ when type == typeof(byte[]) => "binary data",
        _ when type == typeof(object[]) => "a list",
        _ when type == typeof(TimeSpan) => "a duration",
        _ => $"a nested value ({type.Name})",
    };

    /// <summary>The V2 datatype of a column of <paramref name="kind"/>.</summary>
    private static string DatatypeOf(ValueKind kind) => kind switch
    {
        ValueKind.Integer => TensorDatatype.Int64,
        ValueKind.Unsigned => Uint64,
        ValueKind.Floating or ValueKind.Decimal => TensorDatatype.Fp64,
        ValueKind.Boolean => TensorDatatype.Bool,
        _ => TensorDatatype.Bytes,
    };

    /// <summary>The one datatype of a tensor of <paramref name="columns"/>: theirs when they agree, FP64 for numbers of
    /// several kinds; null when text or booleans are mixed with anything else.</summary>
    private static string? TensorDatatypeOf(IReadOnlyList<RowColumn> columns)
    {
        var datatypes = columns.Select(c => DatatypeOf(KindOf(c.ValueType))).Distinct().ToList();
        return datatypes.Count == 1 ? datatypes[0]
            : datatypes.All(d => d is TensorDatatype.Int64 or Uint64 or TensorDatatype.Fp64) ? TensorDatatype.Fp64
            : null;
    }
}
