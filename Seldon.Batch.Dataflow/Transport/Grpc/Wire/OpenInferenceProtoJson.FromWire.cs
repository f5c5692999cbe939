using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Inference.Grpc;
using WireReader = Seldon.Batch.Dataflow.SeldonProtoJson.WireReader;
using NotPlainException = Seldon.Batch.Dataflow.SeldonProtoJson.NotPlainException;

namespace Seldon.Batch.Dataflow;

// The answer's direct path: ModelInferResponse wire bytes (field numbers in protos/inference/grpc_service.proto) to the
// JSON FromResponse writes, without building the message. It takes the answers servers give a batch: names, shapes and
// raw_output_contents of a numeric or boolean datatype; anything else (parameters, typed contents, raw BYTES, raw bytes
// that are not whole values, unknown fields, text that is not UTF-8) goes to the message path, which stays the reference
// and raises every error where it did.
internal static partial class OpenInferenceProtoJson
{
    /// <summary>An answer read in <see cref="GrpcPredictionClient"/>'s response marshaller: its JSON as UTF-8 when the
    /// direct path took it, otherwise the message for <see cref="FromResponseUtf8"/>.</summary>
    internal sealed record WireAnswer(byte[]? Json, ModelInferResponse? Message)
    {
        /// <summary>The answer's JSON InferenceResponse as UTF-8, as the writer writes it (no string made of it).</summary>
        public byte[] ToUtf8Json() => Json ?? FromResponseUtf8(Message!);

        /// <summary>The answer's JSON InferenceResponse as text (for the tests).</summary>
        public string ToJson() => Encoding.UTF8.GetString(ToUtf8Json());
    }

    /// <summary>Reads an answer's bytes: the direct path, or Google.Protobuf's parser (whose exceptions are the
    /// marshaller's, as before).</summary>
    internal static WireAnswer ReadAnswer(byte[] wire) =>
        TryFromResponseDirectUtf8(wire) is { } json ? new WireAnswer(json, null) : new WireAnswer(null, ModelInferResponse.Parser.ParseFrom(wire));

    /// <summary>The JSON <see cref="FromResponse"/> gives for these bytes, or null when they are not of the plain shape
    /// this path handles: the text of <see cref="TryFromResponseDirectUtf8"/>'s bytes.</summary>
    internal static string? TryFromResponseDirect(byte[] wire) => TryFromResponseDirectUtf8(wire) is { } json ? Encoding.UTF8.GetString(json) : null;

    /// <summary>The UTF-8 bytes of the JSON <see cref="FromResponseUtf8"/> gives for these bytes, as the writer writes them,
    /// or null when they are not of the plain shape this path handles.</summary>
    internal static byte[]? TryFromResponseDirectUtf8(byte[] wire)
    {
        try
        {
            return SeldonJson.WriteUtf8Object((wire, PlainAnswer.Read(wire)), WritePlainAnswer);
        }
        catch (NotPlainException)
        {
            return null;
        }
    }

    /// <summary>The properties of a plain answer's JSON object (<paramref name="state"/>: its bytes and fields).</summary>
    private static void WritePlainAnswer(Utf8JsonWriter w, (byte[] Wire, PlainAnswer Answer) state)
    {
        var (bytes, a) = state;
        WriteAnswerHead(w, a.Model, a.Version, a.Id);
        w.WriteStartArray("outputs");
        var nextRaw = 0;
        foreach (var output in a.Outputs)
        {
            WriteOutputHead(w, output.Name, output.Shape, output.Datatype);
            w.WriteStartArray("data");
            if (nextRaw < a.Raw.Count)
            {
                var (start, length) = a.Raw[nextRaw++];
                WriteRaw(w, output.Datatype, bytes.AsSpan(start, length));
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    private sealed record PlainOutput(string Name, string Datatype, List<long> Shape);

    /// <summary>The fields of a plain answer, checked before anything is written: FromResponse takes the n-th raw
    /// contents for the n-th output without typed contents, which here is every output.</summary>
    private sealed class PlainAnswer
    {
        public string Model { get; private set; } = "";

        public string Version { get; private set; } = "";

        public string Id { get; private set; } = "";

        public List<PlainOutput> Outputs { get; } = [];

        public List<(int Start, int Length)> Raw { get; } = [];

        public static PlainAnswer Read(byte[] wire)
        {
            var answer = new PlainAnswer();
            for (var reader = new WireReader(wire); !reader.End;)
            {
                var (field, type) = reader.Tag();
                if (type != 2)
                {
                    throw new NotPlainException();
                }

                var content = reader.Delimited();
                switch (field)
                {
                    case 1: answer.Model = Text(content); break; // proto3: the last of a repeated field wins
                    case 2: answer.Version = Text(content); break;
                    case 3: answer.Id = Text(content); break;
                    case 5: answer.Outputs.Add(ReadOutput(content)); break;
                    case 6: answer.Raw.Add((reader.Position - content.Length, content.Length)); break;
                    default: throw new NotPlainException(); // parameters (4), or a field this client does not know
                }
            }

            // Every output with its raw contents, each a whole number of values, so that writing cannot fail.
            for (var i = 0; i < answer.Outputs.Count; i++)
            {
                var size = SizeOf(answer.Outputs[i].Datatype);
                if (i < answer.Raw.Count && (size == 0 || answer.Raw[i].Length % size != 0))
                {
                    throw new NotPlainException();
                }
            }

            return answer;
        }

        // InferOutputTensor { name = 1, datatype = 2, shape = 3 (repeated int64), parameters = 4, contents = 5 }.
        private static PlainOutput ReadOutput(ReadOnlySpan<byte> bytes)
        {
            string name = "", datatype = "";
            var shape = new List<long>(2);
            for (var reader = new WireReader(bytes); !reader.End;)
            {
                var (field, type) = reader.Tag();
                switch (field, type)
                {
                    case (1, 2): name = Text(reader.Delimited()); break;
                    case (2, 2): datatype = Text(reader.Delimited()); break;
                    case (3, 0): shape.Add((long)reader.Varint()); break;
                    case (3, 2):
                        for (var packed = new WireReader(reader.Delimited()); !packed.End;)
                        {
                            shape.Add((long)packed.Varint());
                        }

                        break;
                    case (5, 2) when reader.Delimited().IsEmpty: break; // empty contents: the raw ones are read
                    default: throw new NotPlainException();
                }
            }

            return new PlainOutput(name, datatype, shape);
        }

        private static string Text(ReadOnlySpan<byte> bytes) =>
            System.Text.Unicode.Utf8.IsValid(bytes) ? Encoding.UTF8.GetString(bytes) : throw new NotPlainException();
    }
}
