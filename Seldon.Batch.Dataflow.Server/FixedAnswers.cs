using System.Buffers;
using System.Collections.Concurrent;
using System.Text.Encodings.Web;
using System.Text.Json;
using Google.Protobuf;
using Seldon.Protos;

namespace Seldon.Batch.Dataflow.Server;

/// <summary>
/// The answers of <see cref="ServeOptions.FixedAnswer"/>: a prediction is answered without running the model,
/// with a body written once per row count, so that a benchmark measures the client and not the server.
/// </summary>
/// <remarks>
/// The answer still has as many rows as the request, because a client splits a micro-batch's answer back into
/// its lines by rows. A request's rows are the items of <c>data.ndarray</c>, or the first dimension of
/// <c>data.tensor.shape</c>; a request with neither (strData, jsonData, tftensor…) counts as one row. The rows
/// are counted by a forward-only scan of the request, without building a document. Every row of the answer is
/// <c>[0]</c>, in the request's payload kind, with the model's tag <c>"model": "demo"</c>.
/// </remarks>
internal sealed class FixedAnswers
{
    // Answers up to this many rows are kept once made; larger ones (rare) are written each time.
    private const int MaxCachedRows = 4096;

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly ConcurrentDictionary<(bool Tensor, int Rows), byte[]> _json = new();
    private readonly ConcurrentDictionary<(bool Tensor, int Rows), byte[]> _wire = new();

    /// <summary>The UTF-8 JSON answer to a REST prediction request.</summary>
    public ReadOnlyMemory<byte> Answer(ReadOnlySpan<byte> request)
    {
        var (tensor, rows) = CountRows(request);
        return rows <= MaxCachedRows ? _json.GetOrAdd((tensor, rows), static key => Write(key.Tensor, key.Rows)) : Write(tensor, rows);
    }

    /// <summary>The protobuf bytes of the answer to a gRPC prediction request given as protobuf bytes.</summary>
    public byte[] AnswerWire(byte[] request)
    {
        var (tensor, rows) = CountWireRows(request);
        return rows <= MaxCachedRows
            ? _wire.GetOrAdd((tensor, rows), static key => Parse(key.Tensor, key.Rows).ToByteArray())
            : Parse(tensor, rows).ToByteArray();
    }

    /// <summary>Rows of a <c>SeldonMessage</c> in protobuf's wire format, read with Google.Protobuf's
    /// <see cref="CodedInputStream"/> without building the message: the values of <c>data.ndarray</c> (field 3, then 3)
    /// or the first size of <c>data.tensor.shape</c> (field 3, then 2, then 1; 1 without a shape); 1 for anything else or
    /// damaged bytes: what <see cref="CountRows"/> finds in the same request as JSON.</summary>
    internal static (bool Tensor, int Rows) CountWireRows(byte[] request)
    {
        try
        {
            if (Delimited(new CodedInputStream(request), 3) is not { } data)
            {
                return (false, 1);
            }

            if (Delimited(data.CreateCodedInput(), 3) is { } ndarray)
            {
                var rows = 0;
                var values = ndarray.CreateCodedInput();
                for (uint tag; (tag = values.ReadTag()) != 0; values.SkipLastField())
                {
                    rows += WireFormat.GetTagFieldNumber(tag) == 1 ? 1 : 0;
                }

                return (false, rows);
            }

            if (Delimited(data.CreateCodedInput(), 2) is { } tensor)
            {
                var fields = tensor.CreateCodedInput();
                for (uint tag; (tag = fields.ReadTag()) != 0; fields.SkipLastField())
                {
                    if (WireFormat.GetTagFieldNumber(tag) == 1)
                    {
                        // Packed (as proto3 writes it) or one value at a time.
                        var first = WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited
                            ? fields.ReadBytes().CreateCodedInput().ReadInt32()
                            : fields.ReadInt32();
                        return (true, first >= 0 ? first : 1);
                    }
                }

                return (true, 1); // a tensor without a shape: one row, as the JSON side answers it
            }
        }
        catch (InvalidProtocolBufferException)
        {
            // Not protobuf: the fixed answer does not judge requests, it answers one row.
        }

        return (false, 1);
    }

    /// <summary>The content of the first length-delimited field <paramref name="field"/>, or null.</summary>
    private static ByteString? Delimited(CodedInputStream input, int field)
    {
        for (uint tag; (tag = input.ReadTag()) != 0; input.SkipLastField())
        {
            if (WireFormat.GetTagFieldNumber(tag) == field && WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
            {
                return input.ReadBytes();
            }
        }

        return null;
    }

    /// <summary>Whether the request carries a tensor, and its rows (1 when it has neither ndarray nor tensor).</summary>
    internal static (bool Tensor, int Rows) CountRows(ReadOnlySpan<byte> request)
    {
        try
        {
            var reader = new Utf8JsonReader(request, new JsonReaderOptions { MaxDepth = DemoModel.MaxDepth });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return (false, 1);
            }

            // Top level: find "data"; everything else is skipped whole.
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isData = reader.ValueTextEquals("data"u8);
                reader.Read();
                if (isData && reader.TokenType == JsonTokenType.StartObject)
                {
                    return CountDataRows(ref reader);
                }

                reader.Skip();
            }
        }
        catch (JsonException)
        {
            // Not JSON: the fixed answer does not judge requests, it answers one row.
        }

        return (false, 1);
    }

    private static (bool Tensor, int Rows) CountDataRows(ref Utf8JsonReader reader)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("ndarray"u8))
            {
                reader.Read();
                return (false, reader.TokenType == JsonTokenType.StartArray ? CountItems(ref reader) : 1);
            }

            if (reader.ValueTextEquals("tensor"u8))
            {
                reader.Read();
                return (true, reader.TokenType == JsonTokenType.StartObject ? FirstDimension(ref reader) : 1);
            }

            reader.Read();
            reader.Skip();
        }

        return (false, 1);
    }

    private static int CountItems(ref Utf8JsonReader reader)
    {
        var items = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            items++;
            reader.Skip();
        }

        return items;
    }

    private static int FirstDimension(ref Utf8JsonReader reader)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isShape = reader.ValueTextEquals("shape"u8);
            reader.Read();
            if (isShape && reader.TokenType == JsonTokenType.StartArray && reader.Read()
                && reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var rows) && rows >= 0)
            {
                return rows;
            }

            reader.Skip();
        }

        return 1;
    }

    private static byte[] Write(bool tensor, int rows)
    {
        var buffer = new ArrayBufferWriter<byte>(64 + (rows * 4));
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            w.WriteStartObject();
            w.WriteStartObject("data");
            w.WriteStartArray("names");
            w.WriteStringValue("t:0");
            w.WriteEndArray();
            if (tensor)
            {
                w.WriteStartObject("tensor");
                w.WriteStartArray("shape");
                w.WriteNumberValue(rows);
                w.WriteNumberValue(1);
                w.WriteEndArray();
                w.WriteStartArray("values");
                for (var i = 0; i < rows; i++)
                {
                    w.WriteNumberValue(0);
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }
            else
            {
                w.WriteStartArray("ndarray");
                for (var i = 0; i < rows; i++)
                {
                    w.WriteStartArray();
                    w.WriteNumberValue(0);
                    w.WriteEndArray();
                }

                w.WriteEndArray();
            }

            w.WriteEndObject();
            w.WriteStartObject("meta");
            w.WriteStartObject("tags");
            w.WriteString("model", DemoModel.ModelName);
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static SeldonMessage Parse(bool tensor, int rows) =>
        JsonParser.Default.Parse<SeldonMessage>(System.Text.Encoding.UTF8.GetString(Write(tensor, rows)));
}
