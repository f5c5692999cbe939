using Microsoft.Extensions.Logging;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Fixtures;

/// <summary>Changes to the endpoint or the block of a run's options in one expression, as tests vary them:
/// <c>options.WithBlock(b => b with { Workers = 1 }) with { Resume = true }</c>.</summary>
internal static class OptionEdits
{
    public static BatchOptions WithEndpoint(this BatchOptions options, Func<EndpointSettings, EndpointSettings> edit) =>
        options with { Endpoint = edit(options.Endpoint) };

    public static BatchOptions WithBlock(this BatchOptions options, Func<PredictionBlockOptions, PredictionBlockOptions> edit) =>
        options with { Block = edit(options.Block) };

    /// <summary>The run logs through <paramref name="loggers"/>.</summary>
    public static BatchOptions LoggingTo(this BatchOptions options, ILoggerFactory? loggers) =>
        options.WithBlock(b => b with { LoggerFactory = loggers });

    /// <summary>The run counts time on <paramref name="time"/>.</summary>
    public static BatchOptions On(this BatchOptions options, TimeProvider time) =>
        options.WithBlock(b => b with { TimeProvider = time });
}
