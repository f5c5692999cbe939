namespace Seldon.Batch.Dataflow;

/// <summary>One line of the input file and its 0-based position, which becomes <c>batch_index</c>.</summary>
/// <param name="Index">The 0-based line number.</param>
/// <param name="Text">The line without its line terminator.</param>
/// <param name="Failure">Why the line cannot be sent although it was read (a table row with a null in a model-input
/// column): the codecs make it the line's error record (<see cref="LineFailureKind.InvalidLine"/>), as they do for a line
/// they cannot read themselves, and send its neighbours. Null for a line to encode.</param>
/// <param name="Row">A table row, whose values the codecs write into the request as its layout says (<see cref="Text"/> is
/// then empty and not read); null for a line of text.</param>
internal readonly record struct InputLine(long Index, string Text, string? Failure = null, TableRow? Row = null)
{
    // A line read from a JSON-lines file keeps its bytes as the file has them (LineReader.ReadInputLinesAsync): the
    // encoders' scan reads them without a string made of the line, which is decoded only where something reads Text
    // (the document paths, an error record's place). A line made of text has no bytes.
    private readonly string? _text = Text;

    /// <summary>A line of a JSON-lines file as its UTF-8 bytes (not to be changed); <see cref="Text"/> decodes them, invalid
    /// UTF-8 replaced (<see cref="Decode"/>).</summary>
    public InputLine(long index, ReadOnlyMemory<byte> utf8)
        : this(index, (string)null!)
        => Utf8 = utf8;

    /// <summary>The line without its line terminator (decoded from <see cref="Utf8"/> each time it is read, for a line
    /// made of bytes).</summary>
    public string Text
    {
        get => _text ?? Decode(Utf8.Span);
        init => _text = value;
    }

    /// <summary>The line's bytes as the file has them, when <see cref="HasUtf8"/>.</summary>
    public ReadOnlyMemory<byte> Utf8 { get; }

    /// <summary>Whether the line was read as bytes (<see cref="Utf8"/>), not given as text.</summary>
    public bool HasUtf8 => _text is null;

    /// <summary>Whether the line holds nothing but white space, as <see cref="string.IsNullOrWhiteSpace"/> says of its text.</summary>
    public bool IsBlank
    {
        get
        {
            if (!HasUtf8)
            {
                return string.IsNullOrWhiteSpace(_text);
            }

            foreach (var b in Utf8.Span)
            {
                if (b >= 0x80)
                {
                    // Unicode white space (U+00A0, U+2003...) is the decoded text's to tell.
                    return string.IsNullOrWhiteSpace(Text);
                }

                if (!char.IsWhiteSpace((char)b))
                {
                    return false;
                }
            }

            return true;
        }
    }

    /// <summary>A line's bytes as text, as the readers of JSON lines decode them: invalid UTF-8 replaced, never fatal.</summary>
    internal static string Decode(ReadOnlySpan<byte> utf8) => Utf8Lenient.GetString(utf8);

    private static readonly System.Text.UTF8Encoding Utf8Lenient = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    /// <summary>Lines are equal when their index, text, failure and row are, whichever form their text was given in.</summary>
    public bool Equals(InputLine other) =>
        Index == other.Index && Text == other.Text && Failure == other.Failure && Equals(Row, other.Row);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Index, Text, Failure, Row);
}
