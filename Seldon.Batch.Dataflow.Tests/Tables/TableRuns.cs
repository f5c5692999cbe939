using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Tables;

/// <summary>Runs a table output in a folder of its own: the input lines written to <c>input.jsonl</c>, the table to
/// <c>out.parquet</c> (its records to <c>out.parquet.records.jsonl</c>), the formats given.</summary>
internal sealed class TableRuns : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sbd-table-");

    public string Input => PathOf("input.jsonl");

    public string Table => PathOf("out.parquet");

    public string Records => Table + ".records.jsonl";

    public string PathOf(string name) => Path.Combine(_dir.FullName, name);

    /// <summary>Files in the folder, by name: what a run left.</summary>
    public IReadOnlyList<string> Files() => [.. _dir.EnumerateFiles().Select(f => f.Name).Order(StringComparer.Ordinal)];

    public Task WriteInputAsync(IEnumerable<string> lines) => File.WriteAllLinesAsync(Input, lines);

    /// <summary><paramref name="options"/> reading <see cref="Input"/> and writing <see cref="Table"/>.</summary>
    public BatchOptions Over(BatchOptions options) => options with { InputDataPath = Input, OutputDataPath = Table };

    /// <summary>Runs <paramref name="options"/> (over the folder's files) with <paramref name="tables"/> for formats.</summary>
    public Task<RunSummary> RunAsync(BatchOptions options, TableFiles tables) =>
        BatchRun.RunAsync(Over(options), StorageTuning.Default, tables: tables);

    /// <summary>Writes <paramref name="lines"/> as the input, runs them and reads the table back.</summary>
    public async Task<(RunSummary Summary, TextTable Table)> RunTableAsync(BatchOptions options, IEnumerable<string> lines, MemoryTable? input = null)
    {
        await WriteInputAsync(lines);
        var summary = await RunAsync(options, FakeTables.Files(input));
        Assert.True(summary.Outcome == RunOutcome.Completed, $"{summary.Outcome}: {summary.StopReason}");
        Assert.Equal(Table, summary.OutputPath);
        return (summary, await FakeTables.ReadAsync(Table));
    }

    public void Dispose() => _dir.Delete(recursive: true);
}
