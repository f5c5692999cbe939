using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.Extensions.Time.Testing;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Protocol;

/// <summary>Results held as the UTF-8 bytes the splitter wrote (the file run's path) against results held as text (the
/// path they shortcut): the same line, equality and hash, and the same bytes in the output file.</summary>
public sealed class InstanceResultUtf8Properties
{
    /// <summary>Lines of ASCII, two- and three-byte characters and surrogate pairs (what the JSON writer emits).</summary>
    private static readonly Gen<string> Lines =
        from parts in Gen.ArrayOf(Gen.Elements("{", "\"a\":", "1", "é", "中", "😀", "\\\"", " ", "}", "[2.5e3]"))
        select "{" + string.Concat(parts) + "}";

    private static readonly Gen<LineFailure?> Failures = Gen.Elements<LineFailure?>(
        null, BatchModelFactory.LineFailure(3, LineFailureKind.InvalidLine, 400, "invalid JSON: x"), BatchModelFactory.LineFailure(3, LineFailureKind.RetriesExhausted, 14, "gRPC Unavailable"));

    private static readonly Gen<(long Index, string Line, LineFailure? Failure)> Results =
        from index in Gen.Choose(0, 1000)
        from line in Lines
        from failure in Failures
        select ((long)index, line, failure);

    [Fact]
    public void A_result_held_as_bytes_equals_the_one_held_as_text()
    {
        var property = Prop.ForAll(Results.ToArbitrary(), r =>
        {
            var text = new InstanceResult(r.Index, r.Line, r.Failure);
            var bytes = new InstanceResult(r.Index, Utf8Of(r.Line), r.Failure);

            Assert.Equal(r.Line, bytes.Line);
            Assert.Equal(text, bytes);
            Assert.Equal(bytes, text);
            Assert.Equal(bytes, new InstanceResult(r.Index, Utf8Of(r.Line), r.Failure));
            Assert.Equal(text.GetHashCode(), bytes.GetHashCode());
            Assert.Null(bytes.AsText().Utf8);
            Assert.Equal(text, bytes.AsText());
            Assert.Equal(text.ToString(), bytes.ToString());
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(1000).WithQuietOnSuccess(true), property);
    }

    [Fact]
    public void Results_that_differ_are_unequal_whichever_way_they_are_held()
    {
        var bytes = new InstanceResult(1, Utf8Of("{\"a\":1}"), null);

        Assert.NotEqual(bytes, new InstanceResult(1, Utf8Of("{\"a\":2}"), null));
        Assert.NotEqual(bytes, new InstanceResult(1, "{\"a\":2}", null));
        Assert.NotEqual(bytes, new InstanceResult(2, "{\"a\":1}", null));
        Assert.NotEqual(bytes, new InstanceResult(1, "{\"a\":1}", BatchModelFactory.LineFailure(1, LineFailureKind.TimedOut, 0, "no answer")));
        Assert.Equal("{\"b\":1}", (bytes with { Line = "{\"b\":1}" }).Line);
        Assert.Null((bytes with { Line = "{\"b\":1}" }).Utf8);
    }

    [Fact]
    public async Task The_writer_writes_the_same_bytes_for_results_held_either_way()
    {
        var results = Gen.ArrayOf(Results).Sample(50, 20).SelectMany(a => a).ToArray();
        var expected = Encoding.UTF8.GetBytes(string.Concat(results.Select(r => r.Line + "\n")));

        var asText = await WrittenAsync(results.Select(r => new InstanceResult(r.Index, r.Line, r.Failure)));
        var asBytes = await WrittenAsync(results.Select(r => new InstanceResult(r.Index, Utf8Of(r.Line), r.Failure)));
        var mixed = await WrittenAsync(results.Select((r, i) =>
            i % 2 == 0 ? new InstanceResult(r.Index, r.Line, r.Failure) : new InstanceResult(r.Index, Utf8Of(r.Line), r.Failure)));

        Assert.Equal(expected, asText);
        Assert.Equal(expected, asBytes);
        Assert.Equal(expected, mixed);
    }

    [Fact]
    public async Task A_split_answer_hands_out_its_lines_as_utf8_that_the_writer_copies_as_they_decode()
    {
        var composer = new OutputComposer("run-1");
        var batch = new EncodedBatch(
            [new BatchMember(0, "i0") { Rows = 1 }, new BatchMember(1, "i1") { Rows = 2 }, new BatchMember(2, "i2") { EncodingError = "invalid JSON: x" }],
            "{}", "req")
        { IsSplit = true };

        var results = composer.Compose(batch, """{"data":{"names":["\u00e9"],"ndarray":[[1],[2],[3]]},"meta":{"tags":{"m":"\ud83d\ude00"}}}""", null);

        Assert.NotNull(results[0].Utf8);
        Assert.NotNull(results[1].Utf8);
        Assert.Null(results[2].Utf8);
        Assert.Contains("\"ndarray\":[[2],[3]]", results[1].Line);
        Assert.Equal(results.Select(r => r.AsText()), results);
        Assert.Equal(Encoding.UTF8.GetBytes(string.Concat(results.Select(r => r.Line + "\n"))), await WrittenAsync(results));
    }

    /// <summary>The line's bytes as a slice in the middle of a larger array, as <see cref="AnswerLines"/> hands them out.</summary>
    private static ReadOnlyMemory<byte> Utf8Of(string line)
    {
        var bytes = Encoding.UTF8.GetBytes("xx" + line + "yy");
        return bytes.AsMemory(2, bytes.Length - 4);
    }

    private static async Task<byte[]> WrittenAsync(IEnumerable<InstanceResult> results)
    {
        var file = new MemoryStream();
        var writer = new SideFileWriter(file, new FakeTimeProvider());
        await using (writer.ConfigureAwait(false))
        {
            foreach (var request in results.Chunk(7))
            {
                writer.WriteLines(request);
            }

            Assert.Equal(results.Count(), writer.Lines);
        }

        return file.ToArray();
    }
}
