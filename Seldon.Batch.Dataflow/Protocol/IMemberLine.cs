namespace Seldon.Batch.Dataflow;

/// <summary>Writes the line of one sent member of a split answer, for <see cref="MemberLines.Split"/>: a struct per answer
/// holding what its lines share, so that the loop is compiled for it and calls it directly.</summary>
internal interface IMemberLine
{
    /// <summary>Writes the line of <paramref name="member"/> into <paramref name="lines"/>, to go to <c>results[slot]</c>;
    /// its rows of the answer start at row <paramref name="offset"/>.</summary>
    void Write(AnswerLines lines, int slot, BatchMember member, int offset);
}
