namespace Seldon.Batch.Dataflow;

/// <summary>A micro-batch after encoding: the request body for the lines that could be encoded
/// (null when none could) and every member in input order.</summary>
internal sealed class EncodedBatch
{
    public EncodedBatch(IReadOnlyList<BatchMember> members, string? requestBody, string puid)
    {
        Members = members;
        RequestBody = requestBody;
        Puid = puid;
    }

    public IReadOnlyList<BatchMember> Members { get; }

    public string? RequestBody { get; }

    /// <summary>The <c>seldon-puid</c> of the request.</summary>
    public string Puid { get; }

    public bool HasRequest => RequestBody is not null;

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
