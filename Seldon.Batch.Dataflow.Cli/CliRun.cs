using Microsoft.Extensions.Logging;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Cli;

/// <summary>A batch run as the command line asked for it.</summary>
internal sealed record CliRun(BatchOptions Options, LogLevel LogLevel, bool Benchmark, CliLogFormat LogFormat = CliLogFormat.Text);
