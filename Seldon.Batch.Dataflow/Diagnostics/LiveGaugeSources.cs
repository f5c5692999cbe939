using System.Runtime.CompilerServices;

namespace Seldon.Batch.Dataflow;

/// <summary>The live objects an observable gauge reads (the breakers of the blocks, the rates of the runs): each added
/// when it starts and removed when it ends, and held weakly meanwhile, so a block an application drops without
/// completing it stops being read once it is collected rather than living on in the gauge.</summary>
/// <typeparam name="TValue">What a source's reading is.</typeparam>
internal sealed class LiveGaugeSources<TValue>
    where TValue : struct
{
    // Ephemeron semantics: an entry's reading (a closure over its owner) does not keep the owner alive. Thread-safe,
    // and enumerable while others add and remove.
    private readonly ConditionalWeakTable<object, Func<TValue>> _sources = [];

    /// <summary>Reads <paramref name="read"/> for <paramref name="owner"/> until <see cref="Remove"/> (or until the owner
    /// is collected).</summary>
    public void Add(object owner, Func<TValue> read) => _sources.AddOrUpdate(owner, read);

    /// <summary>Stops reading <paramref name="owner"/>.</summary>
    public void Remove(object owner) => _sources.Remove(owner);

    /// <summary>The reading of every live source now.</summary>
    public IEnumerable<TValue> Read()
    {
        foreach (var (_, read) in _sources)
        {
            yield return read();
        }
    }
}
