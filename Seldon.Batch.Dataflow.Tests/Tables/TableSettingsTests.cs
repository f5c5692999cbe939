using System.Text.Json.Nodes;
using Seldon.Batch.Dataflow;
using Seldon.Batch.Dataflow.Tests.Fixtures;

namespace Seldon.Batch.Dataflow.Tests.Tables;

/// <summary>A table run records what its rows become (the input's format, the columns, the V2 layout), so that a run with
/// others does not continue its output; a record of an older version, without them, is not compared on them.</summary>
public sealed class TableSettingsTests
{
    private static readonly BatchOptions Csv = new()
    {
        Endpoint = new EndpointSettings { Host = "gw:80", DeploymentName = "iris" },
        InputDataPath = "in.csv",
    };

    private static IReadOnlyList<(string Property, string Recorded, string Now)> Differences(BatchOptions recorded, BatchOptions now) =>
        RunSettings.Of(now).DifferencesFrom(RunSettings.FromJson(JsonNode.Parse(RunSettings.Of(recorded).ToJson().ToJsonString()))!);

    [Fact]
    public void The_input_format_columns_and_V2_layout_are_recorded()
    {
        var json = RunSettings.Of(Csv with { Columns = ["a", "b"] }).ToJson();

        Assert.Equal("csv", json["input_format"]!.GetValue<string>());
        Assert.Equal("""["a","b"]""", json["columns"]!.ToJsonString());
        Assert.Equal("columns", json["v2_inputs"]!.GetValue<string>());
        Assert.Equal("all", RunSettings.Of(Csv).ToJson()["columns"]!.GetValue<string>());
        Assert.Equal("jsonl", RunSettings.Of(Csv with { InputDataPath = "in.txt" }).ToJson()["input_format"]!.GetValue<string>());
    }

    [Fact]
    public void Other_columns_another_order_another_format_or_layout_differ()
    {
        Assert.Equal([("Columns", "a,b", "b,a")], Differences(Csv with { Columns = ["a", "b"] }, Csv with { Columns = ["b", "a"] }));
        Assert.Equal([("Columns", "all", "a")], Differences(Csv, Csv with { Columns = ["a"] }));
        Assert.Equal([("InputFormat", "csv", "jsonl")], Differences(Csv, Csv with { InputFormat = TableFormat.JsonLines }));
        var v2 = Csv.WithEndpoint(e => e with { Protocol = InferenceProtocol.V2 });
        Assert.Equal([("V2Inputs", "columns", "tensor")], Differences(v2, v2 with { V2Inputs = V2InputLayout.Tensor }));
        Assert.Empty(Differences(Csv with { Columns = ["a"] }, Csv with { Columns = ["a"] }));
    }

    [Fact]
    public void A_record_without_them_is_not_compared_on_them()
    {
        var older = RunSettings.FromJson(JsonNode.Parse("""{"protocol":"seldon","data_type":"data","batch_size":1}"""))!;

        Assert.Empty(RunSettings.Of(Csv with { Columns = ["x"] }).DifferencesFrom(older));
    }
}
