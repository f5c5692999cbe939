using System.Text;

namespace Seldon.Batch.Dataflow;

/// <summary>A micro-batch after encoding: the request body for the lines that could be encoded
/// (null when none could) and every member in input order.</summary>
internal sealed class EncodedBatch
{
    // The body in the form it was given; the other form is made when first read (two threads that make it at once make
    // equal values). The encoders write UTF-8, which the transports send: no text is made of it on the way.
    private string? _requestBody;
    private byte[]? _requestUtf8;

    public EncodedBatch(IReadOnlyList<BatchMember> members, string? requestBody, string puid)
    {
        Members = members;
        _requestBody = requestBody;
        Puid = puid;
    }

    /// <summary>A request whose body the encoder wrote as UTF-8 (<paramref name="utf8Body"/>; null when no line could be
    /// encoded).</summary>
    public static EncodedBatch OfUtf8(IReadOnlyList<BatchMember> members, byte[]? utf8Body, string puid, bool isSplit = false) =>
        new(members, null, puid) { _requestUtf8 = utf8Body, IsSplit = isSplit };

    public IReadOnlyList<BatchMember> Members { get; }

    public string? RequestBody => _requestBody ??= _requestUtf8 is { } utf8 ? Encoding.UTF8.GetString(utf8) : null;

    /// <summary>The request body as UTF-8 bytes, what the transports send (not to be changed).</summary>
    public byte[]? RequestUtf8 => _requestUtf8 ??= _requestBody is { } body ? Encoding.UTF8.GetBytes(body) : null;

    /// <summary>The <c>seldon-puid</c> of the request.</summary>
    public string Puid { get; }

    public bool HasRequest => _requestBody is not null || _requestUtf8 is not null;

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
