using System.Runtime.CompilerServices;
using System.Threading.Tasks.Dataflow;

namespace Seldon.Batch.Dataflow;

/// <summary>The block for applications that do not build Dataflow networks: an asynchronous stream of lines in, a
/// stream of results out.</summary>
public static partial class PredictionBlock
{
    /// <summary>Predicts a stream of lines: one <see cref="InstanceResult"/> per line, in input order, with at most the
    /// block's bounded window of lines read ahead, so memory stays bounded however long the stream is. The stream
    /// ends after the last result; if the predictions stopped early, it throws after the last result that was
    /// produced: <see cref="OperationCanceledException"/> when <paramref name="cancellationToken"/> was cancelled,
    /// <see cref="EndpointFailureException"/> when the endpoint stopped them, or the exception of
    /// <paramref name="lines"/> itself. Leaving the loop early stops reading <paramref name="lines"/> and sending.</summary>
    /// <param name="lines">The input lines, read once, as they are needed.</param>
    /// <param name="client">The client requests go through; not disposed.</param>
    /// <param name="options">The block's settings, validated against the client's protocol when the stream is first read;
    /// their <see cref="PredictionBlockOptions.CancellationToken"/> stops reading and sending too.</param>
    /// <param name="cancellationToken">Stops reading and sending.</param>
    /// <exception cref="InvalidBatchOptionsException">A setting of <paramref name="options"/> is invalid, or belongs to
    /// another protocol than the client's.</exception>
    public static async IAsyncEnumerable<InstanceResult> PredictAsync(
        this IAsyncEnumerable<string> lines,
        IPredictionClient client,
        PredictionBlockOptions options,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lines);
        ArgumentNullException.ThrowIfNull(options);
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, options.CancellationToken);
        var block = Create(client, options with { CancellationToken = stopping.Token });
        var feeding = FeedAsync(lines, block, stopping.Token);
        try
        {
            while (await block.OutputAvailableAsync(CancellationToken.None).ConfigureAwait(false))
            {
                while (((IReceivableSourceBlock<InstanceResult>)block).TryReceive(out var result))
                {
                    yield return result;
                }
            }

            await block.Completion.ConfigureAwait(false);
        }
        finally
        {
            // Also reached when the caller leaves the loop early: nothing more is read or sent, and the block's
            // cancellation, which nobody awaits then, is observed here rather than reported as unobserved.
            await stopping.CancelAsync().ConfigureAwait(false);
            await feeding.ConfigureAwait(false);
            _ = block.Completion.ContinueWith(
                static done => _ = done.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }
    }

    /// <summary>Sends the lines into the block until they end, then completes it; a failure of the stream faults it.</summary>
    private static async Task FeedAsync(IAsyncEnumerable<string> lines, ITargetBlock<string> block, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var line in lines.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                if (!await block.SendAsync(line, cancellationToken).ConfigureAwait(false))
                {
                    // The block stopped taking lines (its endpoint failed): its completion says why.
                    break;
                }
            }

            block.Complete();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The block is cancelled by the same token: its completion says so.
            block.Complete();
        }
        catch (Exception ex)
        {
            block.Fault(ex);
        }
    }
}
