using Microsoft.Extensions.Logging;
using NLog;
using NLog.Extensions.Logging;
using NLog.Targets;

namespace Seldon.Batch.Dataflow.Cli;

/// <summary>Wires NLog as the logging provider of the command line: one stderr target at the chosen level, through
/// the progress bar when one is drawn. The library itself only sees Microsoft.Extensions.Logging.</summary>
internal static class CliLogging
{
    private const string Layout =
        "${date:format=yyyy-MM-ddTHH\\:mm\\:ss.fffK} ${level:uppercase=true:padding=-5} ${logger:shortName=true} ${message}${onexception:inner= ${exception:format=message}}";

    /// <param name="level">The lowest level logged.</param>
    /// <param name="bar">The progress bar on stderr, if any: log lines are then written above it, never onto it.</param>
    public static ILoggerFactory Create(Microsoft.Extensions.Logging.LogLevel level, TerminalProgressBar? bar = null)
    {
        var config = new NLog.Config.LoggingConfiguration();
        TargetWithLayout stderr = bar is null
            ? new ConsoleTarget("stderr") { StdErr = true, Layout = Layout }
            : new ProgressBarLogTarget(bar) { Layout = Layout };
        config.AddRule(ToNLog(level), NLog.LogLevel.Fatal, stderr);
        // ASP.NET Core (the built-in server) is chatty at info; keep it to warnings unless debugging.
        var logFactory = new LogFactory { Configuration = config };
        return LoggerFactory.Create(builder =>
        {
            builder.ClearProviders();
            builder.SetMinimumLevel(level);
            if (level > Microsoft.Extensions.Logging.LogLevel.Debug)
            {
                builder.AddFilter("Microsoft", Microsoft.Extensions.Logging.LogLevel.Warning);
                builder.AddFilter("Grpc", Microsoft.Extensions.Logging.LogLevel.Warning);
                builder.AddFilter("Polly", Microsoft.Extensions.Logging.LogLevel.Warning);
            }

            builder.AddNLog(_ => logFactory);
        });
    }

    /// <summary>The level named on the command line (<c>debug|info|warning|error</c>), or null for any other word.</summary>
    public static Microsoft.Extensions.Logging.LogLevel? ParseLevel(string? name) => name switch
    {
        "debug" => Microsoft.Extensions.Logging.LogLevel.Debug,
        "info" => Microsoft.Extensions.Logging.LogLevel.Information,
        "warning" => Microsoft.Extensions.Logging.LogLevel.Warning,
        "error" => Microsoft.Extensions.Logging.LogLevel.Error,
        _ => null,
    };

    private static NLog.LogLevel ToNLog(Microsoft.Extensions.Logging.LogLevel level) => level switch
    {
        Microsoft.Extensions.Logging.LogLevel.Trace => NLog.LogLevel.Trace,
        Microsoft.Extensions.Logging.LogLevel.Debug => NLog.LogLevel.Debug,
        Microsoft.Extensions.Logging.LogLevel.Information => NLog.LogLevel.Info,
        Microsoft.Extensions.Logging.LogLevel.Warning => NLog.LogLevel.Warn,
        Microsoft.Extensions.Logging.LogLevel.Error => NLog.LogLevel.Error,
        _ => NLog.LogLevel.Fatal,
    };
}
