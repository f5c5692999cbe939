namespace Seldon.Batch.Dataflow;

/// <summary>The loops over a request's members that both protocols' splitters run: one output line per member, in member
/// order, a member that was not sent always its own error record.</summary>
internal static class MemberLines
{
    /// <summary>Every member's error record: <paramref name="failure"/> (or <see cref="RequestFailure.NotSent"/>) for those
    /// in the request, their own reason for those that were not sent.</summary>
    public static InstanceResult[] ErrorRecords(IErrorRecords records, EncodedBatch batch, RequestFailure? failure)
    {
        var all = new InstanceResult[batch.Members.Count];
        for (var i = 0; i < all.Length; i++)
        {
            var m = batch.Members[i];
            all[i] = m.IsSent ? records.ErrorRecord(m, failure ?? RequestFailure.NotSent) : records.ErrorRecord(m, m.Unsent);
        }

        return all;
    }

    /// <summary>The lines of an answer, one per member: a member that was not sent gets its error record from
    /// <paramref name="records"/>, a sent one its line from <paramref name="line"/>, its rows following those of the sent
    /// members before it.</summary>
    public static InstanceResult[] Split<TLine>(IErrorRecords records, EncodedBatch batch, TLine line)
        where TLine : struct, IMemberLine
    {
        var results = new InstanceResult[batch.Members.Count];
        var lines = AnswerLines.Start();
        var offset = 0;
        for (var i = 0; i < results.Length; i++)
        {
            var m = batch.Members[i];
            if (!m.IsSent)
            {
                results[i] = records.ErrorRecord(m, m.Unsent);
                continue;
            }

            line.Write(lines, i, m, offset);
            offset += m.Rows;
        }

        lines.Finish(results);
        return results;
    }
}
