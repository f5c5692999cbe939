using Microsoft.Extensions.Logging;

namespace Seldon.Batch.Dataflow;

/// <summary>Encode, the first step of the predict stage: a group of lines into one request or more with the protocol's
/// codec. A line that cannot be encoded becomes its own error and the rest is still sent; a defect of the codec
/// itself costs the group's lines, never the network.</summary>
internal sealed class EncodeStage(IBatchCodec codec, ILogger logger)
{
    /// <summary>The requests of <paramref name="lines"/>, members in input order across them.</summary>
    public IReadOnlyList<EncodedBatch> Encode(InputLine[] lines)
    {
        try
        {
            return codec.Encode(lines);
        }
        catch (Exception ex)
        {
            // A defect in encoding must cost these lines, never fault the network and lose the rest.
            logger.LogError(ex, "Encoding lines {First}..{Last} failed", lines[0].Index, lines[^1].Index);
            return [codec.Unsendable(lines, $"the lines could not be encoded: {ex.GetType().Name}: {ex.Message}")];
        }
    }
}
