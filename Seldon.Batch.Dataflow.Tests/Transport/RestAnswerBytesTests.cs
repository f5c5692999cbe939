using System.Net;
using System.Net.Sockets;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Seldon.Batch.Dataflow;
using Seldon.Batch.Dataflow.Tests.Fixtures;

namespace Seldon.Batch.Dataflow.Tests.Transport;

/// <summary>The REST client keeps a UTF-8 answer as the bytes that came (no string made of them on the way), and says of
/// them what it said of their text: whether a success can be an answer, what a failure's body says.</summary>
public sealed class RestAnswerBytesTests
{
    /// <summary>Bodies of white space (Unicode's, a byte order mark), brackets, other characters and bytes that are no UTF-8.</summary>
    private static readonly Gen<byte[]> Bodies =
        Gen.ArrayOf(Gen.Frequency(
            (4, Gen.Elements<byte[]>([0x20], [0x09], [0x0A], [0xC2, 0xA0], [0xE2, 0x80, 0xA8], [0xE3, 0x80, 0x80], [0xEF, 0xBB, 0xBF])),
            (1, Gen.Elements<byte[]>([(byte)'{'], [(byte)'['], [(byte)'<'], [0xFF], [0xC3], [0xE2, 0x80], [0xED, 0xA0, 0x80], [0xF0, 0x9F, 0x98, 0x80]))))
        .Select(parts => parts.SelectMany(p => p).ToArray());

    [Property(MaxTest = 500)]
    public Property Looks_like_json_says_of_the_bytes_what_it_says_of_their_text() =>
        Prop.ForAll(Bodies.ToArbitrary(), bytes => RestPredictionClient.LooksLikeJson(bytes) == RestPredictionClient.LooksLikeJson(Encoding.UTF8.GetString(bytes)));

    [Fact]
    public async Task A_utf8_answer_is_kept_as_its_bytes_and_read_as_its_text_when_asked()
    {
        byte[] body = [.. "{\"data\":{\"ndarray\":[[\"caf"u8, 0xC3, 0xA9, .. "\"]]}}"u8];
        var response = await SendAsync(body, "application/json");

        Assert.True(response.IsSuccess);
        Assert.Equal(body, response.Utf8Body);
        Assert.Equal("{\"data\":{\"ndarray\":[[\"café\"]]}}", response.Body);
        Assert.True(response.Answer.IsUtf8);
    }

    [Fact]
    public async Task An_answer_that_is_not_utf8_is_its_text_with_replacement_characters_as_before()
    {
        byte[] body = [.. "{\"data\":{\"ndarray\":[[\"a"u8, 0xFF, 0xC3, .. "\"]]}}"u8];
        var response = await SendAsync(body, "application/json");

        Assert.True(response.IsSuccess);
        Assert.Equal(Encoding.UTF8.GetString(body), response.Body);
        Assert.False(response.Answer.IsUtf8);
        Assert.Equal(Encoding.UTF8.GetString(body), response.Answer.Text);

        // The lines written of it: those of its text, as the client gave it before.
        var batch = new EncodedBatch([new BatchMember(0, "i0") { Rows = 1 }], "{}", "i0");
        Assert.Equal(
            new OutputComposer("run").Compose(batch, Encoding.UTF8.GetString(body), null).Select(r => r.Line),
            new OutputComposer("run").Compose(batch, response.Answer, null).Select(r => r.Line));
    }

    [Theory]
    [InlineData("<html><body>Welcome</body></html>")]
    [InlineData("\u00a0\u2028 ok")]
    [InlineData("\"text\"")]
    public async Task A_success_that_is_not_json_is_refused_naming_what_it_was(string page)
    {
        var response = await SendAsync(Encoding.UTF8.GetBytes(page), "text/html");

        Assert.False(response.IsSuccess);
        Assert.Equal(PredictionFailureKind.Misconfiguration, response.Failure!.Kind);
        Assert.Contains("is not a Seldon answer (text/html", response.Failure.Detail, StringComparison.Ordinal);
        Assert.Null(response.Utf8Body);
    }

    [Fact]
    public async Task A_failure_s_body_is_described_from_its_text()
    {
        var status = "{\"status\":{\"code\":400,\"info\":\"bad input é\",\"status\":\"FAILURE\"}}";
        var response = await SendAsync(Encoding.UTF8.GetBytes(status), "application/json", "400 Bad Request");

        Assert.False(response.IsSuccess);
        Assert.Equal(PredictionFailureKind.Line, response.Failure!.Kind);
        Assert.Contains("bad input é", response.Failure.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Another_charset_and_a_byte_order_mark_are_read_as_text()
    {
        const string Json = "{\"data\":{\"ndarray\":[[\"é\"]]}}";
        var latin1 = await SendAsync(Encoding.Latin1.GetBytes(Json), "application/json; charset=iso-8859-1");
        var bom = await SendAsync([.. Encoding.UTF8.GetPreamble(), .. Encoding.UTF8.GetBytes(Json)], "application/json");

        Assert.Equal(Json, latin1.Body);
        Assert.Null(latin1.Utf8Body);
        Assert.Equal(Json, bom.Body);
        Assert.Null(bom.Utf8Body);
    }

    /// <summary>One request to a socket that answers <paramref name="body"/> with the status line and content type given.</summary>
    private static async Task<PredictionResponse> SendAsync(byte[] body, string contentType, string status = "200 OK")
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var serving = Task.Run(async () =>
        {
            using var socket = await listener.AcceptTcpClientAsync();
            var stream = socket.GetStream();
            var request = new byte[64 * 1024];
            var read = 0;
            while (!Encoding.ASCII.GetString(request, 0, read).Contains("\r\n\r\n", StringComparison.Ordinal) || !HasBody(request, read))
            {
                read += await stream.ReadAsync(request.AsMemory(read));
            }

            var head = $"HTTP/1.1 {status}\r\nContent-Type: {contentType}\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
            await stream.WriteAsync(body);
        });

        using var client = new RestPredictionClient(BatchHarness.Endpoint(port, "rest"));
        var response = await client.SendAsync(new PredictionRequest(PredictionMethod.Predict, "{\"data\":{\"ndarray\":[[1]]}}", "p1"), CancellationToken.None);
        await serving;
        return response;
    }

    /// <summary>Whether the request read so far has its whole body (by its Content-Length).</summary>
    private static bool HasBody(byte[] request, int read)
    {
        var text = Encoding.ASCII.GetString(request, 0, read);
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var header = text[..end].Split("\r\n").FirstOrDefault(h => h.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
        return header is null || read - end - 4 >= int.Parse(header["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
