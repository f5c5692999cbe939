using System.Globalization;
using BenchmarkDotNet.Attributes;
using Google.Protobuf;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Benchmarks;

/// <summary>The per-request CPU work of the client outside the network: encoding a micro-batch into one
/// request, and splitting the model's answer back into one output line per input line.</summary>
[MemoryDiagnoser]
public class CodecBenchmarks
{
    private MicroBatchEncoder _encoder = null!;
    private OutputComposer _composer = null!;
    private InputLine[] _lines = [];
    private EncodedBatch _encoded = null!;
    private string _answer = "";
    private byte[] _answerUtf8 = [];
    private byte[] _answerWire = [];

    /// <summary>Lines per request (<c>--batch-size</c>).</summary>
    [Params(1, 32)]
    public int BatchSize { get; set; }

    /// <summary>The payload kind (<c>--payload-type</c>).</summary>
    [Params(PayloadType.Ndarray, PayloadType.Tensor)]
    public PayloadType Payload { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        const string batchId = "8f0c3a52-5d4e-4a8e-9a57-3f2b7c1d9e60";
        _lines = Lines(BatchSize);
        _encoder = new MicroBatchEncoder(new EncoderSettings(DataType.Data, Payload, PredictionMethod.Predict, batchId, BatchSize));
        _composer = new OutputComposer(batchId);
        _encoded = _encoder.Encode(_lines).Single();

        // What the built-in demo model answers to this request: every number doubled, columns named, tags echoed.
        var rows = Enumerable.Range(0, BatchSize).Select(i => "[" + string.Join(",", Enumerable.Range(0, 4).Select(k => (2.0 * (i + k)).ToString("0.0", CultureInfo.InvariantCulture))) + "]");
        var payload = Payload == PayloadType.Tensor
            ? "\"tensor\":{\"shape\":[" + BatchSize + ",4],\"values\":[" + string.Join(",", rows).Replace("[", "").Replace("]", "") + "]}"
            : "\"ndarray\":[" + string.Join(",", rows) + "]";
        _answer = "{\"data\":{\"names\":[\"t:0\",\"t:1\",\"t:2\",\"t:3\"]," + payload
            + "},\"meta\":{\"tags\":{\"batch_id\":\"" + batchId + "\",\"batch_index\":0.0,\"batch_instance_id\":\"x\",\"model\":\"demo\"}}}";
        _answerUtf8 = System.Text.Encoding.UTF8.GetBytes(_answer);
        if (_composer.Compose(_encoded, _answer, null).Any(r => !r.Succeeded))
        {
            throw new InvalidOperationException("the benchmark's answer does not split: fix the benchmark");
        }

        _answerWire = SeldonProtoJson.ParseWithLibrary(_answer).ToByteArray();
        if (SeldonProtoJson.TryToWireDirect(_encoded.RequestBody!) is null || SeldonProtoJson.TryFromWireDirect(_answerWire) is null)
        {
            throw new InvalidOperationException("the benchmark's messages do not take the direct gRPC path: fix the benchmark");
        }
    }

    /// <summary>Lines as `make bench` writes them: one row of four integers each, the same every time.</summary>
    internal static InputLine[] Lines(int count)
    {
        var random = new Random(7);
        return Enumerable.Range(0, count)
            .Select(i => new InputLine(i, string.Create(CultureInfo.InvariantCulture,
                $"[[{random.Next(100)}, {random.Next(100)}, {random.Next(100)}, {random.Next(100)}]]")))
            .ToArray();
    }

    /// <summary>Input lines to one request body.</summary>
    [Benchmark]
    public object Encode() => _encoder.Encode(_lines);

    /// <summary>One answer body to one output line per input line.</summary>
    [Benchmark]
    public InstanceResult[] Split() => _composer.Compose(_encoded, AnswerBody.FromUtf8(_answerUtf8), null);

    /// <summary>gRPC edge, the direct path: the request body to protobuf bytes.</summary>
    [Benchmark]
    public byte[] GrpcRequestToWire() => SeldonProtoJson.TryToWireDirect(_encoded.RequestUtf8!)!;

    /// <summary>gRPC edge, Google.Protobuf's JSON parser then its serializer (what the direct path replaces).</summary>
    [Benchmark]
    public byte[] GrpcRequestToWireLibrary() => SeldonProtoJson.ParseWithLibrary(_encoded.RequestBody!).ToByteArray();

    /// <summary>gRPC edge, the direct path: the answer's protobuf bytes to JSON.</summary>
    [Benchmark]
    public byte[] GrpcAnswerFromWire() => SeldonProtoJson.FromWireUtf8(_answerWire);

    /// <summary>gRPC edge, Google.Protobuf's parser then its JSON formatter (what the direct path replaces).</summary>
    [Benchmark]
    public string GrpcAnswerFromWireLibrary() => SeldonProtoJson.FormatWithLibrary(Seldon.Protos.SeldonMessage.Parser.ParseFrom(_answerWire));
}
