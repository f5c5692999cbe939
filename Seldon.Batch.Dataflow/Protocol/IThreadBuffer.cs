namespace Seldon.Batch.Dataflow;

/// <summary>A buffer <see cref="ThreadBuffer{T}"/> keeps one of per thread.</summary>
internal interface IThreadBuffer<TSelf>
    where TSelf : class
{
    /// <summary>A new, empty one.</summary>
    static abstract TSelf Create();

    /// <summary>The bytes it holds on to, written or not.</summary>
    int Capacity { get; }

    /// <summary>Empties it for the next user.</summary>
    void Clear();
}
