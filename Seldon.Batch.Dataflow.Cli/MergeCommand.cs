using System.CommandLine;
using Microsoft.Extensions.Logging;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Cli;

/// <summary><c>merge</c>: joins the parts that <c>--shard-count N</c> runs wrote next to the output into the output,
/// after checking each one, and adds up their summaries.</summary>
internal static class MergeCommand
{
    public static Command Create(Func<string, string?> environment, TextWriter stdout, TextWriter stderr, SignalCancellation signals)
    {
        // The batch command's own settings: the same flags and SELDON_BATCH_* variables as the shards were given.
        var settings = new BatchCommandLine();
        var command = new Command("merge", "Join the parts of a sharded run (<output>.parts/part-0000K-of-0000N) into the output, in order, after checking each part's lines");
        foreach (var setting in new[] { settings.OutputDataPath, settings.ShardCount, settings.S3Endpoint, settings.SummaryPath, settings.LogLevel })
        {
            command.Options.Add(setting.Option);
        }

        command.Options.Add(settings.Benchmark);
        command.SetAction((parse, _) => MergeAsync(settings, parse, environment, stdout, stderr, signals));
        return command;
    }

    private static async Task<int> MergeAsync(
        BatchCommandLine settings, ParseResult parse, Func<string, string?> environment, TextWriter stdout, TextWriter stderr, SignalCancellation signals)
    {
        MergeOptions options;
        LogLevel level;
        try
        {
            (options, level) = Bind(settings, parse, environment);
        }
        catch (InvalidBatchOptionsException ex)
        {
            return await RefuseAsync(stderr, settings.Describe(ex)).ConfigureAwait(false);
        }

        using var loggers = CliLogging.Create(level);
        var logger = loggers.CreateLogger("seldon-batch-processor");
        try
        {
            // --summary-path - : the library writes files only, the command the standard output.
            var summaryToStdout = BatchCommandLine.IsStandardOutput(settings.SummaryPath, options.SummaryPath, options.OutputDataPath);
            var summary = await BatchRun.MergeAsync(options with { LoggerFactory = loggers, SummaryPath = summaryToStdout ? "" : options.SummaryPath }, signals.Token)
                .ConfigureAwait(false);
            if (summary.Outcome == RunOutcome.Stopped)
            {
                // The store failed (a full disk, a store that cannot be reached): the output did not appear; merging
                // again once it is fixed is safe.
                logger.LogError("The merge stopped: {Reason}; the output was not written: merge again once the cause is fixed", summary.StopReason);
                return ExitCodes.Stopped;
            }

            if (summaryToStdout)
            {
                await stdout.WriteLineAsync(summary.ToJson()).ConfigureAwait(false);
            }

            if (parse.GetValue(settings.Benchmark))
            {
                await stdout.WriteLineAsync(summary.ToText()).ConfigureAwait(false);
            }

            return ExitCodes.Success;
        }
        catch (InvalidBatchOptionsException ex)
        {
            return await RefuseAsync(stderr, settings.Describe(ex)).ConfigureAwait(false);
        }
        catch (OutputInUseException ex)
        {
            return await RefuseAsync(stderr, ex.Message).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            CliApplication.Unexpected(logger, ex, "The merge");
            return ExitCodes.Unexpected;
        }
    }

    /// <summary>The merge's options and log level from the flags and environment; throws
    /// <see cref="InvalidBatchOptionsException"/> for a value that cannot be read.</summary>
    private static (MergeOptions Options, LogLevel Level) Bind(BatchCommandLine settings, ParseResult parse, Func<string, string?> environment)
    {
        var options = new MergeOptions
        {
            OutputDataPath = settings.OutputDataPath.Resolve(parse, environment) ?? "",
            // Not given: the plan the shards published next to the output says how many there were.
            ShardCount = settings.ShardCount.IsGiven(parse, environment)
                ? BatchCommandLine.Integer(settings.ShardCount, settings.ShardCount.Resolve(parse, environment))
                : 0,
            S3Endpoint = settings.Endpoint(parse, environment),
            SummaryPath = settings.SummaryPath.Resolve(parse, environment) ?? "",
            SettingName = settings.NameOf,
        };
        var level = CliLogging.ParseLevel(settings.LogLevel.Resolve(parse, environment))
            ?? throw new InvalidBatchOptionsException($"--log-level: '{settings.LogLevel.Resolve(parse, environment)}' is not one of debug, info, warning, error");
        return (options, level);
    }

    /// <summary>A merge refused before it changed anything: one line on <paramref name="stderr"/>, and the exit code of
    /// settings to change.</summary>
    private static async Task<int> RefuseAsync(TextWriter stderr, string reason)
    {
        await stderr.WriteLineAsync($"seldon-batch-processor merge: error: {reason}").ConfigureAwait(false);
        return ExitCodes.InvalidSettings;
    }
}
