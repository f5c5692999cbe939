using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.Extensions.Time.Testing;
using Seldon.Batch.Dataflow.Pipeline;
using Seldon.Batch.Dataflow.Protocol;

namespace Seldon.Batch.Dataflow.Tests.Protocol;

/// <summary>Results held as the UTF-8 bytes the splitter wrote (the file run's path) against results held as text (the
/// path they shortcut): the same line, equality and hash, and the same bytes in the output file.</summary>
public sealed class InstanceResultUtf8Properties
{
    /// <summary>Lines of ASCII, two- and three-byte characters and surrogate pairs (what the JSON writer emits).</summary>
    private static readonly Gen<string> Lines =
        from parts in Gen.ArrayOf(Gen.Elements("{", "\"a\":", "1", "é", "中", "😀", "\\\"", " ", "}", "[2.5e3]"))
        select string.Concat(parts);

    private static readonly Gen<string?> Failures = Gen.Elements<string?>(null, "invalid JSON: x", "gRPC Unavailable");

    private static readonly Gen<(long Index, string Line, string? Failure)> Results =
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
            var bytes = new InstanceResult(r.Index, Encoding.UTF8.GetBytes(r.Line), r.Failure);

            Assert.Equal(r.Line, bytes.Line);
            Assert.Equal(text, bytes);
            Assert.Equal(bytes, text);
            Assert.Equal(bytes, new InstanceResult(r.Index, Encoding.UTF8.GetBytes(r.Line), r.Failure));
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
        var bytes = new InstanceResult(1, "{\"a\":1}"u8.ToArray(), null);

        Assert.NotEqual(bytes, new InstanceResult(1, "{\"a\":2}"u8.ToArray(), null));
        Assert.NotEqual(bytes, new InstanceResult(1, "{\"a\":2}", null));
        Assert.NotEqual(bytes, new InstanceResult(2, "{\"a\":1}", null));
        Assert.NotEqual(bytes, new InstanceResult(1, "{\"a\":1}", "no answer"));
        Assert.Equal("{\"b\":1}", (bytes with { Line = "{\"b\":1}" }).Line);
        Assert.Null((bytes with { Line = "{\"b\":1}" }).Utf8);
    }

    [Fact]
    public async Task The_writer_writes_the_same_bytes_for_results_held_either_way()
    {
        var results = Gen.ArrayOf(Results).Sample(50, 20).SelectMany(a => a).ToArray();
        var expected = Encoding.UTF8.GetBytes(string.Concat(results.Select(r => r.Line + "\n")));

        var asText = await WrittenAsync(results.Select(r => new InstanceResult(r.Index, r.Line, r.Failure)));
        var asBytes = await WrittenAsync(results.Select(r => new InstanceResult(r.Index, Encoding.UTF8.GetBytes(r.Line), r.Failure)));
        var mixed = await WrittenAsync(results.Select((r, i) =>
            i % 2 == 0 ? new InstanceResult(r.Index, r.Line, r.Failure) : new InstanceResult(r.Index, Encoding.UTF8.GetBytes(r.Line), r.Failure)));

        Assert.Equal(expected, asText);
        Assert.Equal(expected, asBytes);
        Assert.Equal(expected, mixed);
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
