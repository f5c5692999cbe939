using Microsoft.Extensions.Logging;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Cli;

/// <summary>A batch run as the command line asked for it.</summary>
/// <param name="Options">The run's options.</param>
/// <param name="LogLevel">The lowest level logged.</param>
/// <param name="Benchmark">Print the summary as text at the end (<c>-b</c>).</param>
/// <param name="LogFormat">Text lines or JSON objects.</param>
/// <param name="SummaryToStandardOutput"><c>--summary-path -</c>: the summary's JSON goes to the standard output when the
/// run ends (the command writes it: the library's <see cref="BatchOptions.SummaryPath"/> names files only).</param>
internal sealed record CliRun(
    BatchOptions Options, LogLevel LogLevel, bool Benchmark, CliLogFormat LogFormat = CliLogFormat.Text, bool SummaryToStandardOutput = false);
