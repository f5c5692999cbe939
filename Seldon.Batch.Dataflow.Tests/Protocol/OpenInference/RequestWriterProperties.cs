using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Protocol.OpenInference;

/// <summary>The encoder's request writer (names escaped once, the id written as its plain bytes, no LINQ) against the
/// reference writer (every string through the writer's string calls, as main wrote requests): the same bodies, byte for
/// byte, and the same members, whatever the lines (data lines scanned or read as documents, raw InferenceRequests with
/// ids, parameters, outputs and several inputs, str and json lines), the run's input name (with characters to escape) and
/// its request ids (plain or not).</summary>
public sealed class RequestWriterProperties
{
    private static readonly Gen<string> Names = Gen.Elements("input-0", "features", "é", "a\"b", "<x>&", "tab\there", "日本");

    private static readonly Gen<string> Datatypes = Gen.Elements("FP64", "FP32", "INT64", "INT32", "BOOL", "BYTES");

    private static readonly Gen<string> Numbers = Gen.Elements("0", "1", "-2", "3.5", "1e3", "12");

    /// <summary>A data line: a nested array of numbers (now and then ragged, of booleans, or not JSON).</summary>
    private static readonly Gen<string> DataLines =
        from rows in Gen.Choose(1, 3)
        from columns in Gen.Choose(1, 3)
        from values in Gen.ArrayOf(Numbers, rows * columns)
        from kind in Gen.Choose(0, 9)
        let nested = "[" + string.Join(", ", Enumerable.Range(0, rows).Select(r => "[" + string.Join(", ", values.Skip(r * columns).Take(columns)) + "]")) + "]"
        select kind switch
        {
            0 => "[[true, false]]",
            1 => "[[1, 2], [3]]",
            2 => nested[..^1],
            3 => "[" + string.Join(",", values) + "]",
            _ => nested,
        };

    /// <summary>One input of a raw request: a name (to escape or not), a datatype, a shape and values that fit it.</summary>
    private static readonly Gen<string> RawInputs =
        from name in Names
        from datatype in Datatypes
        from rows in Gen.Choose(0, 2)
        from columns in Gen.Choose(1, 2)
        from parameters in Gen.Elements("", ",\"parameters\":{\"content_type\":\"np\"}")
        let value = datatype == "BOOL" ? "true" : datatype == "BYTES" ? "\"s\\u00e9\"" : datatype.StartsWith("FP", StringComparison.Ordinal) ? "1.5" : "7"
        select $"{{\"name\":{Quote(name)},\"shape\":[{rows},{columns}],\"datatype\":\"{datatype}\"{parameters},\"data\":[{string.Join(",", Enumerable.Repeat(value, rows * columns))}]}}";

    private static readonly Gen<string> RawLines =
        from inputs in Gen.Choose(1, 2).SelectMany(n => Gen.ArrayOf(RawInputs, n))
        from id in Gen.Elements("", "\"id\":\"own\",", "\"id\":\"é\\\"\",")
        from parameters in Gen.Elements("", "\"parameters\":{\"a\":1,\"b\":\"x\"},")
        from outputs in Gen.Elements("", ",\"outputs\":[{\"name\":\"o\"}]")
        select $"{{{id}{parameters}\"inputs\":[{string.Join(",", inputs)}]{outputs}}}";

    private static readonly Gen<string> TextLines = Gen.Elements("hello", "\"quoted\"", "é <b>", "{\"a\": [1, 2]}", "[1, 2]", "not json");

    private static string Quote(string text) => System.Text.Json.JsonSerializer.Serialize(text);

    [Fact]
    public void The_request_writer_writes_what_the_reference_writer_writes()
    {
        var cases = from dataType in Gen.Elements(DataType.Data, DataType.Data, DataType.Raw, DataType.Str, DataType.Json)
                    from name in Names
                    from datatype in Gen.Elements<string?>(null, null, "FP64", "INT64", "FP32")
                    from batchSize in Gen.Choose(1, 4)
                    from lines in Gen.ArrayOf(dataType switch { DataType.Data => DataLines, DataType.Raw => RawLines, _ => TextLines }, batchSize)
                    from plainIds in Gen.Elements(true, false)
                    select (dataType, name, datatype, batchSize, lines, plainIds);
        var property = Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var (dataType, name, datatype, batchSize, lines, plainIds) = c;
            var settings = new OpenInferenceSettings(dataType, "run-1", batchSize, name, datatype);
            Assert.Equal(Encode(settings, lines, plainIds, reference: true), Encode(settings, lines, plainIds, reference: false));
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(1500).WithQuietOnSuccess(true), property);
    }

    [Fact]
    public void A_micro_batch_of_data_lines_is_one_request_of_their_rows()
    {
        var settings = new OpenInferenceSettings(DataType.Data, "run-1", 4, "input-0", null);
        var body = Encode(settings, ["[[1, 2]]", "[[3, 4], [5, 6]]"], plainIds: true, reference: false);
        Assert.Equal(
            ["0 1 ", "1 2 ", "{\"id\":\"id1\",\"inputs\":[{\"name\":\"input-0\",\"shape\":[3,2],\"datatype\":\"INT64\",\"data\":[1,2,3,4,5,6]}]}"],
            body);
    }

    private static string[] Encode(OpenInferenceSettings settings, string[] lines, bool plainIds, bool reference)
    {
        var n = 0;
        var encoder = new InferenceRequestEncoder(settings, () => plainIds ? $"id{++n}" : $"i\"d{++n}é");
        InputLine[] input = [.. lines.Select((t, k) => new InputLine(k, t))];
        var batches = reference ? encoder.EncodeWith(input, ReferenceRequestWriter.Write) : encoder.Encode(input);
        return [.. batches.SelectMany(b => b.Members.Select(m => $"{m.Index} {m.Rows} {m.EncodingError}").Append(
            b.RequestUtf8 is { } utf8 ? Encoding.UTF8.GetString(utf8) : "(none)"))];
    }
}
