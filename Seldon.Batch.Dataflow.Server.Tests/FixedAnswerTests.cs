using System.Text;
using System.Text.Json.Nodes;
using Seldon.Batch.Dataflow.Server;

namespace Seldon.Batch.Dataflow.Server.Tests;

/// <summary><c>serve --fixed-answer</c>: answers without the model, with as many rows as the request.</summary>
public sealed class FixedAnswerTests
{
    [Theory]
    [InlineData("""{"data":{"ndarray":[[1,2],[3,4],[5,6]]}}""", false, 3)]
    [InlineData("""{"meta":{"tags":{"ndarray":[1]}},"data":{"names":["a"],"ndarray":[[[1]],[[2]]]}}""", false, 2)]
    [InlineData("""{"data":{"ndarray":[]}}""", false, 0)]
    [InlineData("""{"data":{"tensor":{"values":[1,2,3,4],"shape":[4,1]}}}""", true, 4)]
    [InlineData("""{"strData":"x"}""", false, 1)]
    [InlineData("""not json""", false, 1)]
    public void Rows_are_counted_without_a_document(string request, bool tensor, int rows) =>
        Assert.Equal((tensor, rows), FixedAnswers.CountRows(Encoding.UTF8.GetBytes(request)));

    [Theory]
    [InlineData("""{"data":{"ndarray":[[1,2],[3,4],[5,6]]}}""", false, 3)]
    [InlineData("""{"meta":{"tags":{"ndarray":[1]}},"data":{"names":["a"],"ndarray":[[[1]],[[2]]]}}""", false, 2)]
    [InlineData("""{"data":{"ndarray":[]}}""", false, 0)]
    [InlineData("""{"data":{"names":["a"]}}""", false, 1)]
    [InlineData("""{"data":{"tensor":{"values":[1,2,3,4],"shape":[4,1]}}}""", true, 4)]
    [InlineData("""{"data":{"tensor":{"values":[1]}}}""", true, 1)]
    [InlineData("""{"data":{"tensor":{"shape":[300000,1]}}}""", true, 300000)]
    [InlineData("""{"strData":"x"}""", false, 1)]
    [InlineData("""{}""", false, 1)]
    public void Rows_are_counted_on_the_wire_as_in_the_message(string request, bool tensor, int rows)
    {
        var message = Google.Protobuf.JsonParser.Default.Parse<Seldon.Protos.SeldonMessage>(request);
        var answers = new FixedAnswers();

        Assert.Equal((tensor, rows), FixedAnswers.CountWireRows(Google.Protobuf.MessageExtensions.ToByteArray(message)));
        if (rows < 1000)
        {
            // The same answer as the REST side's JSON, as protobuf bytes.
            var rest = Google.Protobuf.JsonParser.Default.Parse<Seldon.Protos.SeldonMessage>(Encoding.UTF8.GetString(answers.Answer(Encoding.UTF8.GetBytes(request)).Span));
            Assert.Equal(Google.Protobuf.MessageExtensions.ToByteArray(rest), answers.AnswerWire(Google.Protobuf.MessageExtensions.ToByteArray(message)));
        }
    }

    [Fact]
    public void Damaged_wire_bytes_are_answered_with_one_row()
    {
        var message = Google.Protobuf.JsonParser.Default.Parse<Seldon.Protos.SeldonMessage>("""{"data":{"ndarray":[[1,2],[3,4]]}}""");
        var wire = Google.Protobuf.MessageExtensions.ToByteArray(message);

        Assert.Equal((false, 1), FixedAnswers.CountWireRows(wire[..5]));
        Assert.Equal((false, 1), FixedAnswers.CountWireRows([0xFF, 0xFF]));
        Assert.Equal((false, 1), FixedAnswers.CountWireRows([]));
    }

    [Fact]
    public void The_answer_has_the_rows_of_the_request()
    {
        var answers = new FixedAnswers();
        var json = JsonNode.Parse(answers.Answer("""{"data":{"ndarray":[[1],[2],[3]]}}"""u8).Span)!;
        Assert.Equal(3, json["data"]!["ndarray"]!.AsArray().Count);
        Assert.Equal("demo", (string?)json["meta"]!["tags"]!["model"]);

        var tensor = JsonNode.Parse(answers.Answer("""{"data":{"tensor":{"shape":[2,3],"values":[1,2,3,4,5,6]}}}"""u8).Span)!;
        Assert.Equal("[2,1]", tensor["data"]!["tensor"]!["shape"]!.ToJsonString());
    }
}
