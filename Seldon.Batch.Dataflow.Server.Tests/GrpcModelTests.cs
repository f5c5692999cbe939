using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Seldon.Protos;
using Tensorflow;

namespace Seldon.Batch.Dataflow.Server.Tests;

/// <summary>The demo model's answers over gRPC (seldon.protos.Seldon).</summary>
[Trait("Category", "Integration")]
public sealed class GrpcModelTests(DemoServerFixture fixture) : IClassFixture<DemoServerFixture>
{
    [Fact]
    public async Task Predict_doubles_an_ndarray_and_echoes_tags()
    {
        var request = new SeldonMessage
        {
            Data = new DefaultData
            {
                Ndarray = new ListValue
                {
                    Values = { Value.ForList(Value.ForNumber(1), Value.ForNumber(2.5), Value.ForNumber(-3)) },
                },
            },
            Meta = new Meta { Tags = { ["batch_index"] = Value.ForNumber(4), ["batch_id"] = Value.ForString("b") } },
        };

        SeldonMessage answer = await fixture.Grpc.PredictAsync(request);

        Assert.Equal(["t:0", "t:1", "t:2"], answer.Data.Names);
        ListValue row = answer.Data.Ndarray.Values.Single().ListValue;
        Assert.Equal([2.0, 5.0, -6.0], row.Values.Select(v => v.NumberValue));
        Assert.Equal(4.0, answer.Meta.Tags["batch_index"].NumberValue);
        Assert.Equal("b", answer.Meta.Tags["batch_id"].StringValue);
        Assert.Equal("demo", answer.Meta.Tags["model"].StringValue);
    }

    [Fact]
    public async Task Predict_doubles_a_tensor()
    {
        var request = new SeldonMessage
        {
            Data = new DefaultData { Tensor = new global::Seldon.Protos.Tensor { Shape = { 1, 3 }, Values = { 1, 2, 3 } } },
        };

        SeldonMessage answer = await fixture.Grpc.PredictAsync(request);

        Assert.Equal([1, 3], answer.Data.Tensor.Shape);
        Assert.Equal([2.0, 4.0, 6.0], answer.Data.Tensor.Values);
        Assert.Equal(["t:0", "t:1", "t:2"], answer.Data.Names);
    }

    [Fact]
    public async Task Predict_doubles_a_tftensor_of_doubles()
    {
        var request = new SeldonMessage
        {
            Data = new DefaultData
            {
                Tftensor = new TensorProto
                {
                    Dtype = DataType.DtDouble,
                    TensorShape = new TensorShapeProto { Dim = { new TensorShapeProto.Types.Dim { Size = 2 } } },
                    DoubleVal = { 0.5, 7 },
                },
            },
        };

        SeldonMessage answer = await fixture.Grpc.PredictAsync(request);

        TensorProto tensor = answer.Data.Tftensor;
        Assert.Equal(DataType.DtDouble, tensor.Dtype);
        Assert.Equal(2, tensor.TensorShape.Dim.Single().Size);
        Assert.Equal([1.0, 14.0], tensor.DoubleVal);
    }

    [Fact]
    public async Task Predict_doubles_a_tftensor_of_int64()
    {
        var request = new SeldonMessage
        {
            Data = new DefaultData
            {
                Tftensor = new TensorProto
                {
                    Dtype = DataType.DtInt64,
                    TensorShape = new TensorShapeProto
                    {
                        Dim = { new TensorShapeProto.Types.Dim { Size = 1 }, new TensorShapeProto.Types.Dim { Size = 2 } },
                    },
                    Int64Val = { 4503599627370497L, -5 },
                },
            },
        };

        SeldonMessage answer = await fixture.Grpc.PredictAsync(request);

        Assert.Equal(DataType.DtInt64, answer.Data.Tftensor.Dtype);
        Assert.Equal([9007199254740994L, -10L], answer.Data.Tftensor.Int64Val);
        Assert.Equal(["t:0", "t:1"], answer.Data.Names);
    }

    [Fact]
    public async Task Predict_upper_cases_strData_and_wraps_jsonData()
    {
        SeldonMessage text = await fixture.Grpc.PredictAsync(new SeldonMessage { StrData = "abc" });
        SeldonMessage json = await fixture.Grpc.PredictAsync(new SeldonMessage { JsonData = Value.ForString("in") });

        Assert.Equal("ABC", text.StrData);
        Assert.Equal("demo", json.JsonData.StructValue.Fields["model"].StringValue);
        Assert.Equal("in", json.JsonData.StructValue.Fields["input"].StringValue);
    }

    [Fact]
    public async Task Predict_echoes_binData_and_customData()
    {
        var bytes = ByteString.CopyFrom(0, 1, 254, 255);
        var custom = Any.Pack(new StringValue { Value = "payload" });

        SeldonMessage binary = await fixture.Grpc.PredictAsync(new SeldonMessage { BinData = bytes });
        SeldonMessage anything = await fixture.Grpc.PredictAsync(new SeldonMessage { CustomData = custom });

        Assert.Equal(bytes, binary.BinData);
        Assert.Equal(custom, anything.CustomData);
        Assert.Equal("demo", anything.Meta.Tags["model"].StringValue);
    }

    [Fact]
    public async Task SendFeedback_answers_tags_and_reward()
    {
        long before = fixture.Server.Statistics.FeedbackRequests;
        var feedback = new Feedback
        {
            Request = new SeldonMessage { Meta = new Meta { Tags = { ["batch_index"] = Value.ForNumber(9) } } },
            Reward = 0.25f,
        };

        SeldonMessage answer = await fixture.Grpc.SendFeedbackAsync(feedback);

        Assert.Equal(9.0, answer.Meta.Tags["batch_index"].NumberValue);
        Assert.Equal(0.25, answer.Meta.Tags["reward"].NumberValue);
        Assert.Equal("demo", answer.Meta.Tags["model"].StringValue);
        Assert.Equal(DefaultData.DataOneofOneofCase.Ndarray, answer.Data.DataOneofCase);
        Assert.Empty(answer.Data.Ndarray.Values);
        Assert.Equal(before + 1, fixture.Server.Statistics.FeedbackRequests);
    }

    [Fact]
    public async Task Non_numeric_data_is_Internal()
    {
        var request = new SeldonMessage
        {
            Data = new DefaultData { Ndarray = new ListValue { Values = { Value.ForList(Value.ForNumber(1), Value.ForBool(true)) } } },
        };

        var error = await Assert.ThrowsAsync<RpcException>(() => fixture.Grpc.PredictAsync(request).ResponseAsync);

        Assert.Equal(StatusCode.Internal, error.StatusCode);
        Assert.Contains("ndarray[0][1] is a boolean", error.Status.Detail);
    }

    [Fact]
    public async Task Messages_without_data_are_InvalidArgument_and_counted()
    {
        long before = fixture.Server.Statistics.BadRequests;

        var noData = await Assert.ThrowsAsync<RpcException>(
            () => fixture.Grpc.PredictAsync(new SeldonMessage { Meta = new Meta { Puid = "x" } }).ResponseAsync);
        var emptyData = await Assert.ThrowsAsync<RpcException>(
            () => fixture.Grpc.PredictAsync(new SeldonMessage { Data = new DefaultData() }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, noData.StatusCode);
        Assert.Contains("no data", noData.Status.Detail);
        Assert.Equal(StatusCode.InvalidArgument, emptyData.StatusCode);
        Assert.Contains("no payload", emptyData.Status.Detail);
        Assert.Equal(before + 2, fixture.Server.Statistics.BadRequests);
    }
}
