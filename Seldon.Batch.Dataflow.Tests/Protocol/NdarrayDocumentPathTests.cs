using System.Text.Json.Nodes;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Protocol;

/// <summary>ndarray lines are encoded from a JsonDocument, not a node tree: the same requests and the same refusals.</summary>
public sealed class NdarrayDocumentPathTests
{
    private static MicroBatchEncoder Encoder(int batchSize)
    {
        var n = 0;
        return new MicroBatchEncoder(new EncoderSettings(DataType.Data, PayloadType.Ndarray, PredictionMethod.Predict, "run-1", batchSize), () => $"id{++n}");
    }

    [Fact]
    public void A_lone_surrogate_is_refused_as_invalid_JSON_and_the_rest_of_the_micro_batch_is_sent()
    {
        var batch = Assert.Single(Encoder(3).Encode([new InputLine(0, "[[1, 2]]"), new InputLine(1, """[["\ud800", 5]]"""), new InputLine(2, "[[3, 4]]")]));

        Assert.StartsWith("invalid JSON: unpaired UTF-16 surrogate", batch.Members[1].EncodingError);
        Assert.True(batch.Members[0].IsSent && batch.Members[2].IsSent);
        Assert.Equal("[[1,2],[3,4]]", JsonNode.Parse(batch.RequestBody!)!["data"]!["ndarray"]!.ToJsonString());
    }

    [Fact]
    public void A_lone_surrogate_in_a_single_line_is_refused_as_invalid_JSON()
    {
        var batch = Assert.Single(Encoder(1).Encode([new InputLine(0, """["\uDC00"]""")]));

        Assert.False(batch.HasRequest);
        Assert.StartsWith("invalid JSON: unpaired UTF-16 surrogate", batch.Members[0].EncodingError);
    }

    [Fact]
    public void A_surrogate_pair_and_text_are_sent_as_written()
    {
        var batch = Assert.Single(Encoder(2).Encode([new InputLine(0, """[["\ud83d\ude00", "é"]]"""), new InputLine(1, """[["a", "b"]]""")]));

        Assert.All(batch.Members, m => Assert.True(m.IsSent));
        var rows = JsonNode.Parse(batch.RequestBody!)!["data"]!["ndarray"]!.AsArray();
        Assert.Equal(["😀", "é", "a", "b"], rows.SelectMany(r => r!.AsArray()).Select(v => (string)v!));
    }
}
