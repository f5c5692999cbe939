using System.Text;

namespace Seldon.Batch.Dataflow;

/// <summary>A micro-batch after encoding: the request body for the lines that could be encoded
/// (null when none could) and every member in input order.</summary>
internal sealed class EncodedBatch
{
    /// <summary>A request whose body is given as text (tests and the few callers that build one by hand); the encoders
    /// write theirs as UTF-8 (<see cref="OfUtf8"/>).</summary>
    public EncodedBatch(IReadOnlyList<BatchMember> members, string? requestBody, string puid)
        : this(puid, members, requestBody is null ? null : Encoding.UTF8.GetBytes(requestBody))
    {
    }

    private EncodedBatch(string puid, IReadOnlyList<BatchMember> members, byte[]? requestUtf8)
    {
        Members = members;
        RequestUtf8 = requestUtf8;
        Puid = puid;
    }

    /// <summary>A request whose body the encoder wrote as UTF-8 (<paramref name="utf8Body"/>; null when no line could be
    /// encoded).</summary>
    public static EncodedBatch OfUtf8(IReadOnlyList<BatchMember> members, byte[]? utf8Body, string puid, bool isSplit = false) =>
        new(puid, members, utf8Body) { IsSplit = isSplit };

    public IReadOnlyList<BatchMember> Members { get; }

    /// <summary>The request body as UTF-8 bytes, what the transports send (not to be changed); null when no line could
    /// be encoded.</summary>
    public byte[]? RequestUtf8 { get; }

    /// <summary>The request body as text, decoded on each read (for messages and tests: the run sends <see cref="RequestUtf8"/>).</summary>
    public string? RequestBody => RequestUtf8 is { } utf8 ? Encoding.UTF8.GetString(utf8) : null;

    /// <summary>The <c>seldon-puid</c> of the request.</summary>
    public string Puid { get; }

    public bool HasRequest => RequestUtf8 is not null;

    /// <summary>The rows of the request: those of the members that were sent.</summary>
    public int SentRows
    {
        get
        {
            // By index: a foreach over the interface boxes the list's enumerator, once per answer split.
            var rows = 0;
            for (var k = 0; k < Members.Count; k++)
            {
                var m = Members[k];
                rows += m.IsSent ? m.Rows : 0;
            }

            return rows;
        }
    }

    /// <summary>Whether the answer has to be split back into rows (more than one line in the request).</summary>
    public bool IsSplit { get; init; }
}
