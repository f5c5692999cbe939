using System.Collections.Concurrent;
using System.Threading.Tasks.Dataflow;

namespace Seldon.Batch.Dataflow;

/// <summary>The caller's items of <see cref="PredictionBlock.Create{TItem}"/>: numbered on the way in (each item's line
/// is what the network carries), and paired with their results on the way out by a last stage. Results come out in
/// input order, one per line, so the items wait in a queue in that order.</summary>
/// <param name="line">The numbered line of an item (its <c>batch_index</c> given); called once per item, in order, from one
/// thread at a time.</param>
/// <param name="firstIndex">The <c>batch_index</c> of the first item.</param>
internal sealed class ItemStage<TItem>(Func<TItem, long, InputLine> line, long firstIndex)
{
    /// <summary>Items whose line is the JSON text <paramref name="text"/> makes of them.</summary>
    public ItemStage(Func<TItem, string> text, long firstIndex)
        : this((item, index) => new InputLine(index, text(item)), firstIndex)
    {
    }

    private readonly ConcurrentQueue<(long Index, TItem Item)> _items = new();
    private long _next = firstIndex;

    /// <summary>The lines of a group of items, numbered from the block's first index; the number stage calls it, one group at a time.</summary>
    public InputLine[] Number(TItem[] group)
    {
        var lines = new InputLine[group.Length];
        for (var i = 0; i < group.Length; i++)
        {
            lines[i] = line(group[i], _next);
            _items.Enqueue((_next++, group[i]));
        }

        return lines;
    }

    /// <summary>The last stage, linked after <paramref name="results"/>: each result with its item. It ignores the
    /// block's token, as the stage before it does, so that it delivers what it holds.</summary>
    public IReceivableSourceBlock<PredictionResult<TItem>> Attach(IReceivableSourceBlock<InstanceResult> results, int batchSize)
    {
        var attach = new TransformBlock<InstanceResult, PredictionResult<TItem>>(Pair, StageOptions.Sequential(batchSize * 4, CancellationToken.None));
        results.LinkTo(attach, StageOptions.Propagate);
        return attach;
    }

    private PredictionResult<TItem> Pair(InstanceResult result)
    {
        // The head of the queue is the result's item; an item skipped would mean a line without a result.
        while (_items.TryDequeue(out var waiting))
        {
            if (waiting.Index == result.Index)
            {
                return new PredictionResult<TItem>(waiting.Item, result);
            }
        }

        throw new InvalidOperationException($"no item waits for the result of line {result.Index}");
    }
}
