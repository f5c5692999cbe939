namespace Seldon.Batch.Dataflow;

/// <summary>What <see cref="TablePublisher"/> makes a table of, and where it puts it.</summary>
/// <param name="OpenRecords">Opens the complete records (a file or an object) from their start; called twice.</param>
/// <param name="Records">Where the records are, for messages.</param>
/// <param name="OpenInput">Opens the whole input as a table, from its first row.</param>
/// <param name="Input">The input's path or URL, for messages.</param>
/// <param name="KeepColumns">The input columns to copy into each row (<see cref="BatchOptions.KeepColumns"/>): null for
/// every one.</param>
/// <param name="Table">Where the table goes.</param>
/// <param name="Format">The table's format (CSV or Parquet).</param>
/// <param name="Store">The store of an object table.</param>
/// <param name="Held">The run's hold on its output, checked before an object table is completed; null when none.</param>
/// <param name="Files">The formats' writers.</param>
internal sealed record TablePublication(
    Func<CancellationToken, Task<Stream>> OpenRecords,
    StorageLocation Records,
    Func<CancellationToken, Task<ITableReader>> OpenInput,
    string Input,
    IReadOnlyList<string>? KeepColumns,
    StorageLocation Table,
    TableFormat Format,
    ObjectStore Store,
    OutputLock? Held,
    TableFiles Files);
