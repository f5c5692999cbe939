using System.Globalization;
using BenchmarkDotNet.Attributes;
using Google.Protobuf;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Benchmarks;

/// <summary>The Open Inference codec's per-request CPU work, as <see cref="CodecBenchmarks"/> measures the Seldon one's:
/// data lines of four numbers encoded into one request (the datatype named, as the model's metadata names it in a run,
/// or inferred from the values), and an answer of one FP64 output split back into one line per input line.</summary>
[MemoryDiagnoser]
public class OpenInferenceCodecBenchmarks
{
    private InferenceRequestEncoder _encoder = null!;
    private InferenceResponseSplitter _splitter = null!;
    private InputLine[] _lines = [];
    private EncodedBatch _encoded = null!;
    private string _answer = "";
    private byte[] _answerUtf8 = [];
    private byte[] _answerWire = [];

    /// <summary>Lines per request (<c>--batch-size</c>).</summary>
    [Params(1, 32)]
    public int BatchSize { get; set; }

    /// <summary>The data lines' datatype: named (<c>FP64</c>) or inferred (empty).</summary>
    [Params("FP64", "")]
    public string Datatype { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        const string batchId = "8f0c3a52-5d4e-4a8e-9a57-3f2b7c1d9e60";
        _lines = CodecBenchmarks.Lines(BatchSize);
        var settings = new OpenInferenceSettings(DataType.Data, batchId, BatchSize, "features", Datatype.Length == 0 ? null : Datatype);
        _encoder = new InferenceRequestEncoder(settings);
        _splitter = new InferenceResponseSplitter(batchId);
        _encoded = _encoder.Encode(_lines).Single();

        // What nginx answers in `make bench`: one FP64 output with a row per line.
        var data = string.Join(",", Enumerable.Range(0, BatchSize).Select(i => (0.5 * i).ToString("0.0", CultureInfo.InvariantCulture)));
        _answer = "{\"model_name\":\"b" + BatchSize + "\",\"model_version\":\"1\",\"id\":\"x\",\"outputs\":[{\"name\":\"output-0\",\"shape\":["
            + BatchSize + ",1],\"datatype\":\"FP64\",\"data\":[" + data + "]}]}";
        _answerUtf8 = System.Text.Encoding.UTF8.GetBytes(_answer);
        if (_splitter.Compose(_encoded, _answer, null).Any(r => !r.Succeeded))
        {
            throw new InvalidOperationException("the benchmark's answer does not split: fix the benchmark");
        }

        // What the built-in server answers over gRPC: the same output as raw little-endian doubles.
        var answer = new Inference.Grpc.ModelInferResponse { ModelName = "b" + BatchSize, ModelVersion = "1", Id = "x" };
        answer.Outputs.Add(new Inference.Grpc.ModelInferResponse.Types.InferOutputTensor { Name = "output-0", Datatype = "FP64", Shape = { BatchSize, 1 } });
        answer.RawOutputContents.Add(ByteString.CopyFrom(Enumerable.Range(0, BatchSize).SelectMany(i => BitConverter.GetBytes(0.5 * i)).ToArray()));
        _answerWire = answer.ToByteArray();
        if (OpenInferenceProtoJson.TryFromResponseDirect(_answerWire) is null)
        {
            throw new InvalidOperationException("the benchmark's answer does not take the direct gRPC path: fix the benchmark");
        }
    }

    /// <summary>Input lines to one request body.</summary>
    [Benchmark]
    public object Encode() => _encoder.Encode(_lines);

    /// <summary>One answer body to one output line per input line.</summary>
    [Benchmark]
    public InstanceResult[] Split() => _splitter.Compose(_encoded, AnswerBody.FromUtf8(_answerUtf8), null);

    /// <summary>The same split with every line written by the line writer, the path the answer's template shortcuts.</summary>
    [Benchmark]
    public InstanceResult[] SplitByLineWriter() => _splitter.ComposeWithoutTemplates(_encoded, AnswerBody.FromUtf8(_answerUtf8), null);

    /// <summary>gRPC edge, the direct path: the request body to ModelInferRequest bytes.</summary>
    [Benchmark]
    public byte[] GrpcRequestToWire() => OpenInferenceProtoJson.TryToWireDirect(_encoded.RequestUtf8!, "b", "1")!;

    /// <summary>gRPC edge, the message path (a JsonDocument, then message objects serialized by Google.Protobuf), which
    /// the direct path replaces and falls back to.</summary>
    [Benchmark]
    public byte[] GrpcRequestToWireMessages() => OpenInferenceProtoJson.ToRequest(_encoded.RequestBody!, "b", "1").ToByteArray();

    /// <summary>gRPC edge, the direct path: ModelInferResponse bytes to the answer's JSON.</summary>
    [Benchmark]
    public byte[] GrpcAnswerFromWire() => OpenInferenceProtoJson.ReadAnswer(_answerWire).ToUtf8Json();

    /// <summary>gRPC edge, the message path: the bytes parsed by Google.Protobuf, then written as JSON.</summary>
    [Benchmark]
    public string GrpcAnswerFromMessage() => OpenInferenceProtoJson.FromResponse(Inference.Grpc.ModelInferResponse.Parser.ParseFrom(_answerWire));
}
