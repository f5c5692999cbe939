using FsCheck;
using FsCheck.Fluent;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Protocol.OpenInference;

/// <summary>Open Inference data lines scanned without a document against the document path: the same requests, byte
/// for byte, and the same refusals, whatever the lines (rectangular or ragged, whole numbers, fractions, booleans,
/// nulls, strings, broken JSON) and whatever datatype the run names.</summary>
public sealed class DataLineScanProperties
{
    private static readonly Gen<string> Scalars = Gen.Elements(
        "0", "-0", "7", "-12", "3.5", "2.50", "1e5", "-1E-2", "123456789012345678", "-123456789012345678", "12345678901234567890",
        "true", "false", "null", "\"a\"");

    private static readonly Gen<string> Space = Gen.Elements("", "", " ", "\t");

    /// <summary>A nested array of the given shape (or, now and then, one item cut or nested deeper: ragged).</summary>
    private static Gen<string> Nested(int[] shape, int depth, Gen<string> scalar) =>
        depth == shape.Length
            ? scalar
            : from items in Gen.ArrayOf(Nested(shape, depth + 1, scalar), shape[depth])
              from ragged in Gen.Choose(0, 40)
              from space in Space
              select "[" + space + string.Join("," + space, ragged == 0 && items.Length > 0 ? items[..^1] : ragged == 1 ? [.. items, "[1]"] : items) + "]";

    private static readonly Gen<string> Lines =
        from dims in Gen.Choose(1, 3)
        from shape in Gen.ArrayOf(Gen.Choose(0, 3), dims)
        from kind in Gen.Choose(0, 5)
        let scalar = kind switch
        {
            0 => Gen.Elements("1", "-2", "30", "0"),
            1 => Gen.Elements("1.5", "-2", "3e2", "0.0"),
            2 => Gen.Elements("true", "false"),
            _ => Scalars,
        }
        from line in Nested(shape, 0, scalar)
        from edit in Gen.Choose(0, 15)
        select edit switch
        {
            1 => line[..^1],
            2 => line + " x",
            3 => "7",
            _ => line,
        };

    private static readonly Gen<string?> Datatypes = Gen.Elements<string?>(null, null, "FP64", "FP32", "INT64", "INT32", "BOOL", "BYTES", "fp64");

    [Fact]
    public void A_scanned_line_is_encoded_as_the_document_path_encodes_it()
    {
        var cases = from datatype in Datatypes
                    from batchSize in Gen.Choose(1, 4)
                    from lines in Gen.ArrayOf(Lines, 4)
                    select (datatype, batchSize, lines);
        var property = Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var (datatype, batchSize, lines) = c;
            Assert.Equal(Encode(lines, datatype, batchSize, scan: false), Encode(lines, datatype, batchSize, scan: true));
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(1500).WithQuietOnSuccess(true), property);
    }

    [Fact]
    public void A_line_of_numbers_is_scanned_into_the_same_request()
    {
        // The property above holds whichever path reads a line; this pins that lines of numbers do take the scan.
        var scan = new TensorScan();
        Assert.True(NdarrayScanner.TryScan("[[41, 19.5], [50, 83]]", scan, out var bytes, out _, out var dimensions));
        System.Buffers.ArrayPool<byte>.Shared.Return(bytes);
        Assert.Equal("FP64", scan.Datatype(null, dimensions.Length));
        Assert.Equal("FP32", scan.Datatype("FP32", dimensions.Length));
        Assert.Null(scan.Datatype("INT64", dimensions.Length));
        Assert.Equal(
            Encode(["[[41, 19.5], [50, 83]]", "[[1, 2]]"], null, 2, scan: false),
            Encode(["[[41, 19.5], [50, 83]]", "[[1, 2]]"], null, 2, scan: true));
    }

    private static string[] Encode(string[] lines, string? datatype, int batchSize, bool scan)
    {
        var n = 0;
        var encoder = new InferenceRequestEncoder(new OpenInferenceSettings(DataType.Data, "run-1", batchSize, "input-0", datatype), () => $"id{++n}");
        InputLine[] input = [.. lines.Select((t, k) => new InputLine(k, t))];
        var batches = scan ? encoder.Encode(input) : encoder.EncodeWithDocuments(input);
        return [.. batches.SelectMany(b => b.Members.Select(m => $"{m.Index} {m.Rows} {m.EncodingError}").Append(b.RequestBody ?? "(none)"))];
    }
}
