using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Protocol.OpenInference;

/// <summary>A group of data lines the scan takes whole, written from its scanned values (no object per line, the values
/// copied once), against the line-by-line path (a request object per line, its values copied into a buffer and written
/// by the writer): the same requests, byte for byte, and the same members, whatever the lines (shapes that merge or not,
/// whole numbers, fractions, booleans, nulls, lines the scan declines, failed lines, lines read as text or as bytes),
/// the run's datatype, batch size and input name (with characters to escape).</summary>
public sealed class ScannedGroupProperties
{
    private static readonly Gen<string> Names = Gen.Elements("input-0", "features", "é", "a\"b", "<x>&");

    private static readonly Gen<string?> Datatypes = Gen.Elements<string?>(null, null, null, "FP64", "FP32", "INT64", "INT32", "BOOL", "BYTES");

    private static readonly Gen<string> Space = Gen.Elements("", "", " ", "\t");

    /// <summary>The nested array of <paramref name="shape"/> holding <paramref name="values"/> in row-major order.</summary>
    private static string Nest(string[] values, int[] shape, string space)
    {
        var at = 0;
        return Nest(values, shape, 0, ref at, space);
    }

    private static string Nest(string[] values, int[] shape, int depth, ref int at, string space)
    {
        if (depth == shape.Length)
        {
            return values[at++];
        }

        var items = new string[shape[depth]];
        for (var k = 0; k < items.Length; k++)
        {
            items[k] = Nest(values, shape, depth + 1, ref at, space);
        }

        return "[" + space + string.Join("," + space, items) + space + "]";
    }

    /// <summary>A data line: mostly a rectangular array of one kind of value (the scan takes it), now and then one the
    /// scan declines or the document path refuses.</summary>
    private static Gen<string> Lines(int kind) =>
        from dims in Gen.Choose(1, 3)
        from rows in Gen.Choose(1, 3)
        from inner in Gen.ArrayOf(Gen.Choose(1, 2), dims - 1)
        let scalar = kind switch
        {
            0 => Gen.Elements("1", "-2", "30", "0", "123456789012345678"),
            1 => Gen.Elements("1.5", "-2", "3e2", "0.0", "-1E-2"),
            2 => Gen.Elements("true", "false"),
            _ => Gen.Elements("7", "7", "7", "true", "null", "12345678901234567890"),
        }
        let shape = (int[])[rows, .. inner]
        from values in Gen.ArrayOf(scalar, shape.Aggregate(1, (a, d) => a * d))
        from space in Space
        from edit in Gen.Choose(0, 100)
        let line = Nest(values, shape, space)
        select edit switch
        {
            1 => line[..^1],
            2 => "[[1, 2], [3]]",
            3 => "[\"a\"]",
            4 => "[]",
            5 => "[[]]",
            _ => line,
        };

    /// <summary>A line as the reader gives it: text, bytes, or (rarely) a failure.</summary>
    private static Gen<Func<long, InputLine>> Inputs(int kind) =>
        from text in Lines(kind)
        from how in Gen.Choose(0, 100)
        select how switch
        {
            0 => (Func<long, InputLine>)(k => new InputLine(k, text, "invalid line: unreadable")),
            < 20 => k => new InputLine(k, new ReadOnlyMemory<byte>(Encoding.UTF8.GetBytes(text))),
            _ => k => new InputLine(k, text),
        };

    [Fact]
    public void A_scanned_group_is_encoded_as_the_line_by_line_path_encodes_it()
    {
        var cases = from name in Names
                    from datatype in Datatypes
                    from batchSize in Gen.Elements(1, 2, 4, 32)
                    from count in Gen.Choose(1, 12)
                    from kind in Gen.Choose(0, 3)
                    from inputs in Gen.ArrayOf(Inputs(kind), count)
                    select (name, datatype, batchSize, inputs);
        var taken = 0;
        var property = Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var (name, datatype, batchSize, inputs) = c;
            InputLine[] lines = [.. inputs.Select((make, k) => make(k + 10))];
            taken += Encoder(name, datatype, batchSize).EncodeScanned(lines) is null ? 0 : 1;
            Assert.Equal(Describe(Encoder(name, datatype, batchSize).EncodeLineByLine(lines)), Describe(Encoder(name, datatype, batchSize).Encode(lines)));
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(2000).WithQuietOnSuccess(true), property);

        // The shortcut is taken often enough for the property to hold it (about a quarter of the groups: the rest hold a line it declines).
        Assert.True(taken >= 200, $"the scanned groups' path took {taken} of 2000 groups");
    }

    [Fact]
    public void A_group_of_number_lines_takes_the_scanned_path()
    {
        InputLine[] lines = [new(0, "[[41, 19, 50, 83]]"), new(1, "[[1, 2, 3, 4], [5, 6, 7, 8]]"), new(2, "[[1.5, 2, 3, 4]]")];
        var batches = Encoder("features", null, 32).EncodeScanned(lines);
        Assert.NotNull(batches);
        Assert.Equal(
            [
                "{\"id\":\"id1\",\"inputs\":[{\"name\":\"features\",\"shape\":[3,4],\"datatype\":\"INT64\",\"data\":[41,19,50,83,1,2,3,4,5,6,7,8]}]}",
                "{\"id\":\"id2\",\"inputs\":[{\"name\":\"features\",\"shape\":[1,4],\"datatype\":\"FP64\",\"data\":[1.5,2,3,4]}]}",
            ],
            batches.Select(b => b.RequestBody));
        Assert.Equal(Describe(Encoder("features", null, 32).EncodeLineByLine(lines)), Describe(batches));
    }

    private static InferenceRequestEncoder Encoder(string name, string? datatype, int batchSize)
    {
        var n = 0;
        return new InferenceRequestEncoder(new OpenInferenceSettings(DataType.Data, "run-1", batchSize, name, datatype), () => $"id{++n}");
    }

    private static string[] Describe(IReadOnlyList<EncodedBatch> batches) =>
        [.. batches.SelectMany(b => b.Members
            .Select(m => $"{m.Index} {m.InstanceId} {m.RequestId} {m.Item} {m.Rows} {m.EncodingError} {m.EncodingErrorKind} {m.LineId} {m.InferenceId}")
            .Append($"{b.Puid} {b.IsSplit} {b.RequestBody ?? "(none)"}"))];
}
