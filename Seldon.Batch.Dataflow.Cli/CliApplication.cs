using System.CommandLine;
using System.CommandLine.Help;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Cli;

/// <summary>The <c>seldon-batch-processor</c> command: the batch run (drop-in for the original), <c>serve</c> and <c>merge</c>.</summary>
public static class CliApplication
{
    private const string ProgramName = "seldon-batch-processor";

    private const string Description =
        "Sends every line of an input file to a model served by Seldon Core (or, with --protocol v2, by any Open Inference " +
        "Protocol server: MLServer, Seldon Core 2, KServe, Triton), through parallel workers, over REST or " +
        "gRPC, and writes exactly one output line per input line, in input order, tagged with batch_id, batch_index " +
        "and batch_instance_id. Flags override SELDON_BATCH_* environment variables, which override the defaults.";

    /// <summary>Runs the command line and returns the process exit code (see <see cref="ExitCodes"/>).</summary>
    public static async Task<int> RunAsync(string[] args, Func<string, string?>? environment = null, TextWriter? stdout = null, TextWriter? stderr = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        stdout ??= Console.Out;
        stderr ??= Console.Error;

        var batch = new BatchCommandLine();
        var root = new RootCommand(Description);
        foreach (var setting in batch.Settings)
        {
            root.Options.Add(setting.Option);
        }

        root.Options.Add(batch.Headers.Option);
        root.Options.Add(batch.Resume);
        root.Options.Add(batch.Restart);
        root.Options.Add(batch.RetryFailed);
        root.Options.Add(batch.Benchmark);
        // -h is the host, as in the original: help is --help only.
        foreach (var help in root.Options.OfType<HelpOption>().ToList())
        {
            root.Options.Remove(help);
        }

        root.Options.Add(new HelpOption("--help"));

        using var signals = new SignalCancellation();
        var serve = ServeCommand.Create(environment, stdout, stderr, signals);
        root.Subcommands.Add(serve);
        root.Subcommands.Add(MergeCommand.Create(environment, stdout, stderr, signals));

        var exitCode = ExitCodes.Success;
        root.SetAction(async (parse, _) =>
        {
            exitCode = await RunBatchAsync(batch, parse, environment, stdout, stderr, signals).ConfigureAwait(false);
            return exitCode;
        });

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            await stderr.WriteLineAsync($"{ProgramName}: error: {parsed.Errors[0].Message} (see {ProgramName} --help)").ConfigureAwait(false);
            return ExitCodes.InvalidSettings;
        }

        var config = new InvocationConfiguration { Output = stdout, Error = stderr, ProcessTerminationTimeout = null };
        return await parsed.InvokeAsync(config, signals.Token).ConfigureAwait(false);
    }

    /// <summary>Logs a failure nobody foresaw once: its type and message as an error, where it came from at debug level.</summary>
    internal static void Unexpected(ILogger logger, Exception ex, string what)
    {
        logger.LogError("{What} failed unexpectedly: {Type}: {Reason}", what, ex.GetType().Name, ex.Message);
        logger.LogDebug("{What} failed here: {Trace}", what, ex.ToString());
    }

    private static async Task<int> RunBatchAsync(
        BatchCommandLine batch, ParseResult parse, Func<string, string?> environment, TextWriter stdout, TextWriter stderr, SignalCancellation signals)
    {
        CliRun run;
        try
        {
            run = batch.Bind(parse, environment);
            batch.Validate(run.Options);
        }
        catch (InvalidBatchOptionsException ex)
        {
            await stderr.WriteLineAsync($"{ProgramName}: error: {batch.Describe(ex)} (see {ProgramName} --help)").ConfigureAwait(false);
            return ExitCodes.InvalidSettings;
        }

        // On a terminal a progress bar replaces the periodic progress lines of the log. The run's messages name settings
        // by this command's flags.
        // JSON logs are for a log store: no bar drawn between them.
        var bar = run.LogFormat == CliLogFormat.Text && TerminalProgressBar.IsTerminal(stderr) ? new TerminalProgressBar(stderr) : null;
        var runId = Guid.NewGuid().ToString("N");
        using var loggers = CliLogging.Create(run.LogLevel, bar, run.LogFormat, runId);
        var logger = loggers.CreateLogger(ProgramName);
        // Disposed before the loggers, on every way out of this method (a signal ends the run, which returns here):
        // the last metrics and spans are exported before the process exits.
        using var telemetry = CliTelemetry.StartOrWarn(environment, runId, run.Options.Block.BatchId, logger);
        var options = RunOptions(batch, run, loggers, signals, progressBar: bar is not null);
        try
        {
            var summary = await BatchRun.RunAsync(options, bar, signals.Token).ConfigureAwait(false);
            bar?.Finish();
            await WriteSummaryAsync(run, summary, stdout, stderr).ConfigureAwait(false);
            return ExitCodeOf(summary.Outcome, signals);
        }
        catch (InvalidBatchOptionsException ex)
        {
            bar?.Finish();
            await stderr.WriteLineAsync($"{ProgramName}: error: {batch.Describe(ex)}").ConfigureAwait(false);
            return ExitCodes.InvalidSettings;
        }
        catch (OutputInUseException ex)
        {
            // Another run holds the output: nothing was touched, and the message says whom to wait for.
            bar?.Finish();
            await stderr.WriteLineAsync($"{ProgramName}: error: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.InvalidSettings;
        }
        catch (Exception ex)
        {
            bar?.Finish();
            Unexpected(logger, ex, "The run");
            return ExitCodes.Unexpected;
        }
    }

    /// <summary>The summary where the command line asked for it: its JSON on stdout (<c>--summary-path -</c>), its text
    /// (<c>-b</c>) on stdout, or on stderr when the output lines are on stdout (<c>-o -</c>), so as not to mix into them.</summary>
    private static async Task WriteSummaryAsync(CliRun run, RunSummary summary, TextWriter stdout, TextWriter stderr)
    {
        if (run.SummaryToStandardOutput)
        {
            await stdout.WriteLineAsync(summary.ToJson()).ConfigureAwait(false);
        }

        if (run.Benchmark)
        {
            await (run.Options.OutputDataPath == "-" ? stderr : stdout).WriteLineAsync(summary.ToText() + Environment.NewLine + ProcessLines(summary)).ConfigureAwait(false);
        }
    }

    /// <summary>What the process allocated and collected, for <c>-b</c>: bytes allocated per instance is the figure to
    /// compare between two builds (docs/performance.md), far steadier than CPU time on a busy machine; then the thread
    /// pool's work items and the contended locks, per instance: what a line's way through the pipeline hands over.</summary>
    private static string ProcessLines(RunSummary summary)
    {
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var perInstance = summary.Instances > 0 ? allocated / (double)summary.Instances : 0;
        var instances = Math.Max(summary.Instances, 1);
        var workItems = ThreadPool.CompletedWorkItemCount;
        var contentions = Monitor.LockContentionCount;
        return string.Create(
            System.Globalization.CultureInfo.InvariantCulture,
            $"allocated: {allocated / 1048576.0:0.0} MiB ({perInstance:0} bytes per instance), collections gen0/gen1/gen2: {GC.CollectionCount(0)} / {GC.CollectionCount(1)} / {GC.CollectionCount(2)}{Environment.NewLine}"
            + $"thread pool: {workItems} work items ({workItems / (double)instances:0.00} per instance), lock contentions: {contentions} ({contentions / (double)instances:0.000} per instance)");
    }

    /// <summary>The bound options with what only the command knows: its flags' names, its loggers and its signals.</summary>
    private static BatchOptions RunOptions(BatchCommandLine batch, CliRun run, ILoggerFactory loggers, SignalCancellation signals, bool progressBar)
    {
        // The first signal asks for a graceful stop (the run's token), the second for a stop at once (the block's).
        var options = run.Options with
        {
            SettingName = batch.NameOf,
            Block = run.Options.Block with { LoggerFactory = loggers, CancellationToken = signals.StopNowToken },
        };
        return progressBar ? options with { ProgressInterval = TimeSpan.Zero } : options;
    }

    private static int ExitCodeOf(RunOutcome outcome, SignalCancellation signals) => outcome switch
    {
        RunOutcome.Completed => ExitCodes.Success,
        RunOutcome.Stopped => ExitCodes.Stopped,
        RunOutcome.OutputClosed => ExitCodes.OutputClosed,
        _ => signals.Signal == PosixSignal.SIGTERM ? ExitCodes.Terminated : ExitCodes.Interrupted,
    };
}
