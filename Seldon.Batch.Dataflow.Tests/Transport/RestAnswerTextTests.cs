using System.Net.Http.Headers;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Transport;

/// <summary>The REST client reads a UTF-8 answer from one pooled buffer and anything else through a
/// <see cref="StreamReader"/>: both must give the text the reader alone gave before.</summary>
public sealed class RestAnswerTextTests
{
    [Property(MaxTest = 300)]
    public Property Utf8_answers_read_as_the_stream_reader_reads_them() =>
        Prop.ForAll(ArbMap.Default.ArbFor<string>().Generator.Where(s => s is not null).ToArbitrary(), (string text) =>
        {
            // Any text, unpaired surrogates and all, as UTF-8 bytes with and without the charset named.
            var bytes = Encoding.UTF8.GetBytes(text);
            return Read(bytes, null) == ReadWithStreamReader(bytes, Encoding.UTF8)
                && Read(bytes, "utf-8") == ReadWithStreamReader(bytes, Encoding.UTF8);
        });

    [Fact]
    public void Invalid_utf8_becomes_replacement_characters_as_before()
    {
        byte[] bytes = [(byte)'{', 0xC3, (byte)'"', 0xFF, (byte)'}'];

        Assert.Equal(ReadWithStreamReader(bytes, Encoding.UTF8), Read(bytes, null));
    }

    [Fact]
    public void A_byte_order_mark_is_honoured_and_dropped()
    {
        const string json = "{\"tag\":\"é日本\"}";

        Assert.Equal(json, Read([.. Encoding.UTF8.GetPreamble(), .. Encoding.UTF8.GetBytes(json)], null));
        Assert.Equal(json, Read([.. Encoding.Unicode.GetPreamble(), .. Encoding.Unicode.GetBytes(json)], null));
        Assert.Equal(json, Read([.. Encoding.BigEndianUnicode.GetPreamble(), .. Encoding.BigEndianUnicode.GetBytes(json)], "utf-8"));
    }

    [Fact]
    public void Other_charsets_are_decoded_with_their_encoding_and_unknown_ones_as_utf8()
    {
        const string json = "{\"tag\":\"é\"}";

        Assert.Equal(json, Read(Encoding.Unicode.GetBytes(json), "utf-16"));
        Assert.Equal(json, Read(Encoding.Latin1.GetBytes(json), "iso-8859-1"));
        Assert.Equal(json, Read(Encoding.UTF8.GetBytes(json), "no-such-charset"));
        Assert.Equal(json, Read(Encoding.UTF8.GetBytes(json), "\"UTF-8\""));
    }

    [Fact]
    public void An_empty_answer_is_empty_text()
    {
        Assert.Equal("", Read([], null));
    }

    private static string Read(byte[] body, string? charset)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (charset is not null)
        {
            content.Headers.ContentType.Parameters.Add(new NameValueHeaderValue("charset", charset));
        }

        return RestPredictionClient.ReadText(content);
    }

    private static string ReadWithStreamReader(byte[] body, Encoding encoding)
    {
        using var reader = new StreamReader(new MemoryStream(body), encoding, detectEncodingFromByteOrderMarks: true);
        return reader.ReadToEnd();
    }
}
