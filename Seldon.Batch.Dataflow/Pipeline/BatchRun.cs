using System.Diagnostics;
using System.Text;
using System.Threading.Tasks.Dataflow;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Seldon.Batch.Dataflow.Protocol;
using Seldon.Batch.Dataflow.Transport;

namespace Seldon.Batch.Dataflow.Pipeline;

/// <summary>A file-to-file run: reads the input file, sends every line through a <see cref="PredictionBlock"/>,
/// writes one output line per input line in input order.</summary>
public static class BatchRun
{
    /// <summary>Validates <paramref name="options"/>, runs the batch and returns what happened.</summary>
    public static async Task<RunSummary> RunAsync(BatchOptions options, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
    {
        options.Validate();
        using var client = PredictionClients.Create(options.Transport, options.ToEndpoint(), options.ToRetry());
        return await RunAsync(options, client, loggerFactory, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs the batch through the given <paramref name="client"/> (not disposed here).</summary>
    public static async Task<RunSummary> RunAsync(BatchOptions options, IPredictionClient client, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
    {
        options.Validate();
        loggerFactory ??= NullLoggerFactory.Instance;
        var logger = loggerFactory.CreateLogger(typeof(BatchRun).FullName!);
        var stats = new RunStatistics();
        var clock = Stopwatch.StartNew();
        logger.LogInformation(
            "Processing {Input} to {Output}: {Transport} to {Host} ({Gateway}), {DataType}/{PayloadType}, {Method}, {Workers} worker(s), batch size {BatchSize}",
            options.InputDataPath, options.OutputDataPath, BatchOptions.Name(options.Transport), options.Host, BatchOptions.Name(options.Gateway),
            BatchOptions.Name(options.DataType), BatchOptions.Name(options.PayloadType), BatchOptions.Name(options.Method), options.Workers, options.BatchSize);

        var block = PredictionBlock.Create(options, client, stats, loggerFactory, cancellationToken);
        await using var output = new StreamWriter(
            new FileStream(options.OutputDataPath, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16, FileOptions.Asynchronous),
            new UTF8Encoding(false),
            1 << 16);
        var progress = new ProgressReporter(logger, stats, clock, options.ProgressEvery);
        var failuresLogged = 0;
        var writer = new ActionBlock<InstanceResult>(
            async result =>
            {
                await output.WriteAsync(result.Line).ConfigureAwait(false);
                await output.WriteAsync('\n').ConfigureAwait(false);
                if (!result.Succeeded && failuresLogged++ < 10)
                {
                    logger.LogWarning("Line {Index} failed: {Reason}", result.Index, result.Failure);
                }

                progress.Tick();
            },
            new ExecutionDataflowBlockOptions { BoundedCapacity = 1024, MaxDegreeOfParallelism = 1, CancellationToken = cancellationToken });
        block.LinkTo(writer, new DataflowLinkOptions { PropagateCompletion = true });

        // If the writer fails (disk full, say), nothing can drain the network: stop reading instead of waiting forever.
        using var stopReading = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _ = writer.Completion.ContinueWith(_ => stopReading.Cancel(), CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        try
        {
            await foreach (var line in LineReader.ReadLinesAsync(options.InputDataPath, stopReading.Token).ConfigureAwait(false))
            {
                if (!await block.SendAsync(line, stopReading.Token).ConfigureAwait(false))
                {
                    break;
                }
            }

            block.Complete();
        }
        catch (Exception ex) when (writer.Completion.IsFaulted || ex is not OperationCanceledException)
        {
            block.Fault(ex);
            await writer.Completion.ConfigureAwait(false);
            throw;
        }

        await writer.Completion.ConfigureAwait(false);
        await output.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        var summary = stats.ToSummary(clock.Elapsed, options.OutputDataPath);
        logger.LogInformation("Done: {Summary}", summary);
        return summary;
    }
}
