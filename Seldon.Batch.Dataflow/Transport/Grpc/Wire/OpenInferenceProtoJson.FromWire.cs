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

    /// <summary>The properties of a plain answer's JSON object (<paramref name="state"/>: its bytes and fields): its texts
    /// written from their UTF-8 bytes in the wire (the writer escapes them as it escapes their strings).</summary>
    private static void WritePlainAnswer(Utf8JsonWriter w, (byte[] Wire, PlainAnswer Answer) state)
    {
        var (bytes, a) = state;
        var wire = bytes.AsSpan();
        w.WriteString("model_name"u8, wire[a.Model]);
        if (!wire[a.Version].IsEmpty)
        {
            w.WriteString("model_version"u8, wire[a.Version]);
        }

        if (!wire[a.Id].IsEmpty)
        {
            w.WriteString("id"u8, wire[a.Id]);
        }

        w.WriteStartArray("outputs"u8);
        var nextRaw = 0;
        foreach (var output in a.Outputs)
        {
            w.WriteStartObject();
            w.WriteString("name"u8, wire[output.Name]);
            w.WriteStartArray("shape"u8);
            foreach (var dimension in a.ShapeOf(output))
            {
                w.WriteNumberValue(dimension);
            }

            w.WriteEndArray();
            w.WriteString("datatype"u8, output.Datatype);
            w.WriteStartArray("data"u8);
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

    /// <summary>An output of a plain answer: where its name lies in the wire bytes, its datatype (the protocol's own
    /// string when it is one of its names), where its dimensions are in <see cref="PlainAnswer"/>'s.</summary>
    private readonly record struct PlainOutput(Range Name, string Datatype, int ShapeStart, int ShapeCount);

    /// <summary>The datatypes' names as UTF-8, with their strings: an answer's datatype is taken without making a string.</summary>
    private static readonly (byte[] Utf8, string Text)[] Datatypes =
        [.. TensorDatatype.All.Select(d => (Encoding.UTF8.GetBytes(d), d))];

    /// <summary>The fields of a plain answer, checked before anything is written: FromResponse takes the n-th raw
    /// contents for the n-th output without typed contents, which here is every output. Its texts are where they lie in
    /// the wire bytes (valid UTF-8, checked), not strings. One per thread, reused answer after answer (an answer is read
    /// and written before the next is read).</summary>
    private sealed class PlainAnswer
    {
        [ThreadStatic]
        private static PlainAnswer? t_answer;

        public Range Model { get; private set; }

        public Range Version { get; private set; }

        public Range Id { get; private set; }

        public List<PlainOutput> Outputs { get; } = [];

        public List<(int Start, int Length)> Raw { get; } = [];

        /// <summary>The dimensions of every output, one after another.</summary>
        private readonly List<long> _shapes = [];

        public ReadOnlySpan<long> ShapeOf(PlainOutput output) =>
            System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_shapes).Slice(output.ShapeStart, output.ShapeCount);

        public static PlainAnswer Read(byte[] wire)
        {
            var answer = t_answer ??= new PlainAnswer();
            (answer.Model, answer.Version, answer.Id) = (default, default, default);
            answer.Outputs.Clear();
            answer.Raw.Clear();
            answer._shapes.Clear();
            for (var reader = new WireReader(wire); !reader.End;)
            {
                var (field, type) = reader.Tag();
                if (type != 2)
                {
                    throw new NotPlainException();
                }

                var content = reader.Delimited();
                var at = reader.Position - content.Length;
                switch (field)
                {
                    case 1: answer.Model = Text(content, at); break; // proto3: the last of a repeated field wins
                    case 2: answer.Version = Text(content, at); break;
                    case 3: answer.Id = Text(content, at); break;
                    case 5: answer.Outputs.Add(answer.ReadOutput(content, at)); break;
                    case 6: answer.Raw.Add((at, content.Length)); break;
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

        // InferOutputTensor { name = 1, datatype = 2, shape = 3 (repeated int64), parameters = 4, contents = 5 }; the
        // output's bytes lie at <at> in the answer's.
        private PlainOutput ReadOutput(ReadOnlySpan<byte> bytes, int at)
        {
            Range name = default;
            var datatype = "";
            var shapeStart = _shapes.Count;
            for (var reader = new WireReader(bytes); !reader.End;)
            {
                var (field, type) = reader.Tag();
                switch (field, type)
                {
                    case (1, 2):
                        var text = reader.Delimited();
                        name = Text(text, at + reader.Position - text.Length);
                        break;
                    case (2, 2): datatype = Datatype(reader.Delimited()); break;
                    case (3, 0): _shapes.Add((long)reader.Varint()); break;
                    case (3, 2):
                        for (var packed = new WireReader(reader.Delimited()); !packed.End;)
                        {
                            _shapes.Add((long)packed.Varint());
                        }

                        break;
                    case (5, 2) when reader.Delimited().IsEmpty: break; // empty contents: the raw ones are read
                    default: throw new NotPlainException();
                }
            }

            return new PlainOutput(name, datatype, shapeStart, _shapes.Count - shapeStart);
        }

        /// <summary>Where a text lies in the answer's bytes (at <paramref name="at"/>), when it is UTF-8.</summary>
        private static Range Text(ReadOnlySpan<byte> bytes, int at) =>
            System.Text.Unicode.Utf8.IsValid(bytes) ? at..(at + bytes.Length) : throw new NotPlainException();

        /// <summary>A datatype's string: the protocol's own for its names, else made of the bytes (when UTF-8).</summary>
        private static string Datatype(ReadOnlySpan<byte> bytes)
        {
            foreach (var (utf8, text) in Datatypes)
            {
                if (bytes.SequenceEqual(utf8))
                {
                    return text;
                }
            }

            return System.Text.Unicode.Utf8.IsValid(bytes) ? Encoding.UTF8.GetString(bytes) : throw new NotPlainException();
        }
    }
}
