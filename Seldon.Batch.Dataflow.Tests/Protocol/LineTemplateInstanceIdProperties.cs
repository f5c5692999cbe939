using System.Text;
using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Protocol;

/// <summary>A line's instance id in a template's hole is written from the id's ASCII bytes, made once for the lines that
/// share the id (<see cref="AnswerLines"/> keeps the last id's bytes, per thread, from answer to answer): over answers
/// whose lines take ids from a few strings (equal texts as other instances too, so only the same instance reuses the
/// bytes) and items of any size, every line is what the line writer writes for the same id and index.</summary>
public sealed class LineTemplateInstanceIdProperties
{
    private static readonly string[] Texts = ["a", "1f2e3d4c-5b6a", "run-7", "x", "abcdefghijklmnopqrstuvwxyz0123456789-abcdefghijklmnopqrstuvwxyz0123456789"];

    /// <summary>An id: one of the texts, as the shared instance or as a new string of the same text.</summary>
    private static readonly Gen<string> Ids =
        from text in Gen.Elements(Texts)
        from copy in Gen.Elements(false, true)
        select copy ? new string(text.AsSpan()) : text;

    private static readonly Gen<(long Index, string Id, int Item)> Lines =
        from index in Gen.Choose(0, int.MaxValue).Select(i => (long)i * 3)
        from id in Ids
        from item in Gen.Frequency((2, Gen.Constant(-1)), (6, Gen.Choose(0, 40)), (1, Gen.Choose(0, int.MaxValue)))
        select (index, id, item);

    private static readonly LineTemplate Template = LineTemplate.Record(0, static (w, t, _) =>
    {
        w.WriteString("before", "b");
        w.WritePropertyName("batch_index");
        t.Hole(w, LineTemplate.Part.Index, "0"u8);
        w.WritePropertyName("batch_instance_id");
        t.Hole(w, LineTemplate.Part.InstanceId, "\"\""u8);
        w.WriteString("after", "a");
    });

    [Fact]
    public void Lines_written_from_the_template_are_those_the_line_writer_writes()
    {
        var answers = Gen.ArrayOf(Gen.NonEmptyListOf(Lines).Select(l => l.ToArray()), 3);
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300).WithQuietOnSuccess(true), Prop.ForAll(answers.ToArbitrary(), all =>
        {
            foreach (var lines in all)
            {
                var results = new InstanceResult[lines.Length];
                var writer = AnswerLines.Start();
                for (var k = 0; k < lines.Length; k++)
                {
                    var (index, id, item) = lines[k];
                    writer.Write(k, index, Template, id, item, ReadOnlySpan<JsonElement>.Empty);
                }

                writer.Finish(results);
                for (var k = 0; k < lines.Length; k++)
                {
                    Assert.Equal(Expected(lines[k]), results[k].Line);
                }
            }
        }));
    }

    private static string Expected((long Index, string Id, int Item) line)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, SeldonJson.WriterOptions))
        {
            w.WriteStartObject();
            w.WriteString("before", "b");
            w.WriteNumber("batch_index", line.Index);
            w.WriteString("batch_instance_id", line.Item >= 0 ? $"{line.Id}-item-{line.Item}" : line.Id);
            w.WriteString("after", "a");
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
