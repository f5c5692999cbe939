using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Protocol;

public sealed class ArrayShapeTests
{
    private static ArrayShape Read(string json)
    {
        var shape = ArrayShape.TryRead(JsonNode.Parse(json), out var error);
        Assert.Null(error);
        Assert.NotNull(shape);
        return shape;
    }

    private static string Error(string? json)
    {
        var shape = ArrayShape.TryRead(json is null ? null : JsonNode.Parse(json), out var error);
        Assert.Null(shape);
        Assert.False(string.IsNullOrWhiteSpace(error));
        return error;
    }

    private static string[] Texts(ArrayShape shape) => shape.Values.Select(v => v.ToJsonString()).ToArray();

    [Theory]
    [InlineData("[1, 2, 3]", new[] { 3 }, "1,2,3")]
    [InlineData("[[1, 2, 3]]", new[] { 1, 3 }, "1,2,3")]
    [InlineData("[[1, 2, 3], [4, 5, 6]]", new[] { 2, 3 }, "1,2,3,4,5,6")]
    [InlineData("[[[1, 2]], [[3, 4]], [[5, 6]]]", new[] { 3, 1, 2 }, "1,2,3,4,5,6")]
    [InlineData("[[1.5, -2e3], [0, 2.50]]", new[] { 2, 2 }, "1.5,-2e3,0,2.50")]
    [InlineData("[]", new[] { 0 }, "")]
    [InlineData("[[]]", new[] { 1, 0 }, "")]
    [InlineData("[[], []]", new[] { 2, 0 }, "")]
    public void Reads_dimensions_and_row_major_values_as_written(string json, int[] dimensions, string values)
    {
        var shape = Read(json);

        Assert.Equal(dimensions, shape.Dimensions);
        Assert.Equal(values, string.Join(',', Texts(shape)));
    }

    [Theory]
    [InlineData("[[1, 2], [3]]")]
    [InlineData("[[1], [2, 3]]")]
    [InlineData("[[1, 2], 3]")]
    [InlineData("[1, [2]]")]
    [InlineData("[[], [1]]")]
    [InlineData("[[[1, 2]], [[3]]]")]
    [InlineData("[[1], [[2]]]")]
    public void Ragged_array_is_an_error(string json)
    {
        Assert.Contains("ragged array", Error(json));
    }

    [Theory]
    [InlineData("[\"a\"]", "a string")]
    [InlineData("[[1, true]]", "a boolean")]
    [InlineData("[[1, null]]", "null")]
    [InlineData("[{\"a\": 1}]", "an object")]
    public void Non_numeric_value_is_an_error(string json, string described)
    {
        var error = Error(json);

        Assert.StartsWith("non-numeric value", error);
        Assert.Contains(described, error);
    }

    [Theory]
    [InlineData("{\"a\": [1]}", "expected an array, found an object")]
    [InlineData("7", "expected an array, found a number")]
    [InlineData("\"[1]\"", "expected an array, found a string")]
    [InlineData(null, "expected an array, found null")]
    public void Non_array_is_an_error(string? json, string expected)
    {
        Assert.Equal(expected, Error(json));
    }

    [Theory]
    [InlineData("[[1, -2, 30000000000]]", true)]
    [InlineData("[[1, 2.0]]", false)]
    [InlineData("[1e2]", false)]
    [InlineData("[1E2]", false)]
    [InlineData("[0.5]", false)]
    [InlineData("[]", true)]
    public void All_integers_follows_the_literals(string json, bool expected)
    {
        Assert.Equal(expected, Read(json).AllIntegers);
    }

    private static readonly Gen<(int[] Dimensions, int[] Values)> RectangularArrays =
        from rank in Gen.Choose(1, 4)
        from dims in Gen.ArrayOf(Gen.Choose(1, 4), rank)
        from values in Gen.ArrayOf(Gen.Choose(int.MinValue, int.MaxValue), dims.Aggregate(1, (a, d) => a * d))
        select (dims, values);

    private static JsonNode Build(int[] dims, int[] values, int depth, ref int next)
    {
        var array = new JsonArray();
        for (var i = 0; i < dims[depth]; i++)
        {
            array.Add(depth + 1 == dims.Length ? JsonValue.Create(values[next++]) : Build(dims, values, depth + 1, ref next));
        }

        return array;
    }

    [Property(MaxTest = 300)]
    public Property Reads_back_any_rectangular_int_array() =>
        Prop.ForAll(RectangularArrays.ToArbitrary(), sample =>
        {
            var next = 0;
            var node = Build(sample.Dimensions, sample.Values, 0, ref next);
            // Through text too, as the encoder sees it.
            var parsed = JsonNode.Parse(node.ToJsonString());
            var shape = ArrayShape.TryRead(parsed, out var error);
            return error is null
                && shape is not null
                && shape.Dimensions.SequenceEqual(sample.Dimensions)
                && shape.Values.Select(v => v.GetValue<long>()).SequenceEqual(sample.Values.Select(v => (long)v))
                && shape.AllIntegers;
        });
}
