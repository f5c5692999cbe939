using System.Text;

namespace Seldon.Batch.Dataflow;

/// <summary>The model's answer body as a codec takes it (<see cref="IBatchCodec.Compose"/>): the valid UTF-8 bytes the
/// transports read, parsed as they are, or text (a client that gives its answers as strings, or bytes that are not valid
/// UTF-8, read as the text they decode to as answers always were: U+FFFD for each bad sequence). Default: no answer.</summary>
internal readonly struct AnswerBody
{
    private readonly ReadOnlyMemory<byte> _utf8;
    private readonly string? _text;

    /// <summary>An answer given as text (null: none); an escaped lone surrogate in it is read as U+FFFD
    /// (<see cref="LoneSurrogates"/>).</summary>
    public AnswerBody(string? text) => _text = LoneSurrogates.Replace(text);

    private AnswerBody(ReadOnlyMemory<byte> utf8)
    {
        _utf8 = utf8;
        IsUtf8 = true;
    }

    /// <summary>Whether the answer is the bytes of <see cref="Utf8"/> (valid UTF-8); otherwise it is <see cref="Text"/>.</summary>
    public bool IsUtf8 { get; }

    /// <summary>The answer's bytes, valid UTF-8, when <see cref="IsUtf8"/>.</summary>
    public ReadOnlyMemory<byte> Utf8 => _utf8;

    /// <summary>The answer as text: decoded from its bytes when read (for messages and tests, not the way through).</summary>
    public string? Text => IsUtf8 ? Encoding.UTF8.GetString(_utf8.Span) : _text;

    /// <summary>Whether there is no answer, or only white space (as <see cref="string.IsNullOrWhiteSpace"/> says of the text).</summary>
    public bool IsBlank => IsUtf8 ? FirstNonWhiteSpace(_utf8.Span) is null : string.IsNullOrWhiteSpace(_text);

    /// <summary>An answer read as bytes: these bytes when they are valid UTF-8 (they are not to be changed while the
    /// answer is read), otherwise the text they decode to; either with an escaped lone surrogate read as U+FFFD
    /// (<see cref="LoneSurrogates"/>: a copy of the bytes only then).</summary>
    public static AnswerBody FromUtf8(ReadOnlyMemory<byte> utf8) =>
        System.Text.Unicode.Utf8.IsValid(utf8.Span) ? new AnswerBody(LoneSurrogates.Replace(utf8)) : new AnswerBody(Encoding.UTF8.GetString(utf8.Span));

    /// <summary>An answer given as text: the tests' and a string client's form.</summary>
    public static implicit operator AnswerBody(string? text) => new(text);

    /// <summary>The first character of <paramref name="utf8"/> that is not white space, as the text it decodes to has it (a
    /// bad sequence decodes to U+FFFD, which is not white space); null when there is none. Reads no further than it.</summary>
    internal static Rune? FirstNonWhiteSpace(ReadOnlySpan<byte> utf8)
    {
        while (!utf8.IsEmpty)
        {
            Rune.DecodeFromUtf8(utf8, out var rune, out var length);
            if (!Rune.IsWhiteSpace(rune))
            {
                return rune;
            }

            utf8 = utf8[length..];
        }

        return null;
    }
}
