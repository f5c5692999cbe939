using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Google.Protobuf;
using Inference.Grpc;
using Seldon.Batch.Dataflow;
using Seldon.Protos;

namespace Seldon.Batch.Dataflow.Tests.Transport;

/// <summary>The gRPC client reads requests from their UTF-8 bodies and writes answers' JSON straight as UTF-8: both are
/// held to the string paths they replace (the request's text parsed, the answer's JSON text written) over random
/// messages, results and failures alike.</summary>
public sealed class GrpcUtf8Properties
{
    private static readonly Config Quick = Config.QuickThrowOnFailure.WithQuietOnSuccess(true);

    [Fact]
    public void Seldon_answers_written_as_utf8_are_the_bytes_of_the_text_path()
    {
        var messages = Gen.OneOf(SeldonProtoJsonTests.PlainMessage, SeldonProtoJsonTests.OtherMessage.Where(Parses));
        var property = Prop.ForAll(messages.ToArbitrary(), Gen.Elements(false, true).ToArbitrary(), (json, withStatus) =>
        {
            var message = SeldonProtoJson.ParseWithLibrary(json);
            if (withStatus)
            {
                message.Status = new Status { Code = 200, Info = "ok \"quoted\" é", Status_ = Status.Types.StatusFlag.Success };
            }

            var wire = message.ToByteArray();
            Assert.Equal(Utf8(SeldonProtoJson.TryFromWireDirect(wire)), SeldonProtoJson.TryFromWireDirectUtf8(wire));
            Assert.Equal(Encoding.UTF8.GetBytes(SeldonProtoJson.FromWire(wire)), SeldonProtoJson.FromWireUtf8(wire));
        });
        Check.One(Quick.WithMaxTest(500), property);
    }

    [Fact]
    public void Damaged_seldon_answers_fail_as_the_text_path_fails()
    {
        var wire = SeldonProtoJson.ToWire("{\"data\": {\"names\": [\"a\"], \"ndarray\": [[1, 2.5, \"x\"]]}, \"meta\": {\"puid\": \"p\"}}");
        for (var cut = 0; cut < wire.Length; cut++)
        {
            var damaged = wire[..cut];
            Assert.Equal(Outcome(() => Encoding.UTF8.GetBytes(SeldonProtoJson.FromWire(damaged))), Outcome(() => SeldonProtoJson.FromWireUtf8(damaged)));
        }
    }

    [Fact]
    public void Open_inference_answers_written_as_utf8_are_the_bytes_of_the_text_path()
    {
        var property = Prop.ForAll(OpenInferenceProtoJsonFromWireTests.Answer.ToArbitrary(), response =>
        {
            var wire = response.ToByteArray();
            Assert.Equal(Utf8(OpenInferenceProtoJson.TryFromResponseDirect(wire)), OpenInferenceProtoJson.TryFromResponseDirectUtf8(wire));
            var expected = Outcome(() => Encoding.UTF8.GetBytes(OpenInferenceProtoJson.FromResponse(ModelInferResponse.Parser.ParseFrom(wire))));
            Assert.Equal(expected, Outcome(() => OpenInferenceProtoJson.ReadAnswer(wire).ToUtf8Json()));
            Assert.Equal(expected, Outcome(() => OpenInferenceProtoJson.FromResponseUtf8(ModelInferResponse.Parser.ParseFrom(wire))));
        });
        Check.One(Quick.WithMaxTest(1000), property);
    }

    [Fact]
    public void Seldon_requests_read_from_their_bytes_give_what_their_text_gives()
    {
        var texts = Gen.OneOf(SeldonProtoJsonTests.PlainMessage, SeldonProtoJsonTests.OtherMessage);
        var property = Prop.ForAll(texts.ToArbitrary(), json =>
        {
            var expected = Outcome(() => SeldonProtoJson.ToWire(json));
            Assert.Equal(expected, Outcome(() => SeldonProtoJson.ToWire(FromBytes(json))));
            Assert.Equal(expected, Outcome(() => SeldonProtoJson.ToWire(new PredictionRequest(PredictionMethod.Predict, json, "p"))));
        });
        Check.One(Quick.WithMaxTest(500), property);

        // The plain ones by the direct path from their bytes, not the library's fallback.
        var plain = Prop.ForAll(SeldonProtoJsonTests.PlainMessage.ToArbitrary(), json =>
        {
            var direct = SeldonProtoJson.TryToWireDirect(Encoding.UTF8.GetBytes(json));
            Assert.NotNull(direct);
            Assert.Equal(SeldonProtoJson.TryToWireDirect(json), direct);
            Assert.Equal(direct, SeldonProtoJson.ToWire(FromBytes(json)));
        });
        Check.One(Quick.WithMaxTest(500), plain);
    }

    [Fact]
    public void Open_inference_requests_read_from_their_bytes_give_what_their_text_gives()
    {
        var unusual = ((IEnumerable<object[]>)OpenInferenceProtoJsonToWireTests.Unusual).Select(row => (string)row[0]).ToArray();
        var texts = Gen.Frequency((6, OpenInferenceProtoJsonToWireTests.Request), (1, Gen.Elements(unusual)));
        var property = Prop.ForAll(texts.ToArbitrary(), Gen.Elements("", "model", "日本").ToArbitrary(), (json, model) =>
        {
            var version = model.Length > 0 ? "2" : "";
            var expected = Outcome(() => OpenInferenceProtoJson.ToWire(json, model, version));
            Assert.Equal(expected, Outcome(() => OpenInferenceProtoJson.ToWire(FromBytes(json), model, version)));
            Assert.Equal(expected, Outcome(() => OpenInferenceProtoJson.ToWire(new PredictionRequest(PredictionMethod.Predict, json, "p"), model, version)));
        });
        Check.One(Quick.WithMaxTest(1000), property);

        // The generated ones by the direct path from their bytes, not the message path's fallback.
        var plain = Prop.ForAll(OpenInferenceProtoJsonToWireTests.Request.ToArbitrary(), json =>
        {
            var direct = OpenInferenceProtoJson.TryToWireDirect(Encoding.UTF8.GetBytes(json), "m", "1");
            Assert.NotNull(direct);
            Assert.Equal(direct, OpenInferenceProtoJson.ToWire(FromBytes(json), "m", "1"));
        });
        Check.One(Quick.WithMaxTest(500), plain);
    }

    [Fact]
    public void A_request_given_as_text_with_a_lone_surrogate_fails_as_its_text_does()
    {
        // A library user's text that is not valid UTF-16: its bytes hold U+FFFD, the library reads the text itself.
        const string Json = "{\"data\": {\"ndarray\": [[\"\ud800\"]]}}";
        Assert.Equal(Outcome(() => SeldonProtoJson.ToWire(Json)), Outcome(() => SeldonProtoJson.ToWire(new PredictionRequest(PredictionMethod.Predict, Json, "p"))));
    }

    private static PredictionRequest FromBytes(string json) => new(PredictionMethod.Predict, Encoding.UTF8.GetBytes(json), "p");

    private static bool Parses(string json)
    {
        try
        {
            SeldonProtoJson.ParseWithLibrary(json);
            return true;
        }
        catch (Exception ex) when (ex is InvalidJsonException or InvalidProtocolBufferException or FormatException)
        {
            return false;
        }
    }

    private static byte[]? Utf8(string? text) => text is null ? null : Encoding.UTF8.GetBytes(text);

    /// <summary>The bytes (as hex) or the failure (type and message).</summary>
    private static string Outcome(Func<byte[]> convert)
    {
        try
        {
            return Convert.ToHexString(convert());
        }
        catch (Exception ex)
        {
            return $"{ex.GetType().Name}: {ex.Message}";
        }
    }
}
