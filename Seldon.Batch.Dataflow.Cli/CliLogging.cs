using System.Diagnostics;
using Microsoft.Extensions.Logging;
using NLog;
using NLog.Extensions.Logging;
using NLog.Layouts;
using NLog.Targets;

namespace Seldon.Batch.Dataflow.Cli;

/// <summary>Wires NLog as the logging provider of the command line: one stderr target at the chosen level, through
/// the progress bar when one is drawn, as text or as one JSON object per line. The library itself only sees
/// Microsoft.Extensions.Logging.</summary>
internal static class CliLogging
{
    private const string TextLayout =
        "${date:format=yyyy-MM-ddTHH\\:mm\\:ss.fffK} ${level:uppercase=true:padding=-5} ${logger:shortName=true} ${message}${onexception:inner= ${exception:format=message}}";

    /// <param name="level">The lowest level logged.</param>
    /// <param name="bar">The progress bar on stderr, if any: log lines are then written above it, never onto it.</param>
    /// <param name="format">Text for people, JSON for a log store.</param>
    /// <param name="runId">This process's id, a field of every JSON line.</param>
    public static ILoggerFactory Create(
        Microsoft.Extensions.Logging.LogLevel level, TerminalProgressBar? bar = null, CliLogFormat format = CliLogFormat.Text, string? runId = null)
    {
        var config = new NLog.Config.LoggingConfiguration();
        Layout layout = format == CliLogFormat.Json ? Json(runId) : TextLayout;
        TargetWithLayout stderr = bar is null
            ? new ConsoleTarget("stderr") { StdErr = true, Layout = layout }
            : new ProgressBarLogTarget(bar) { Layout = layout };
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

    /// <summary>The format named on the command line (<c>text|json</c>), or null for any other word.</summary>
    public static CliLogFormat? ParseFormat(string? name) => name switch
    {
        "text" => CliLogFormat.Text,
        "json" => CliLogFormat.Json,
        _ => null,
    };

    /// <summary>One JSON object per line: the fixed fields, then the fields of the event's message template
    /// (<c>{Puid}</c>, <c>{Delay}</c>…) and of its scopes (the run's <c>batch_id</c>) as fields of their own, so a log store
    /// (Loki, Elasticsearch) indexes them without parsing the message.</summary>
    private static JsonLayout Json(string? runId)
    {
        var json = new JsonLayout
        {
            IncludeEventProperties = true,
            IncludeScopeProperties = true,
            // The message is rendered already, so its template is noise in every line; the event's id and name are
            // those of the library's logging methods, not words for the reader.
            ExcludeProperties = new HashSet<string>(["{OriginalFormat}", "EventId", "EventName"], StringComparer.Ordinal),
            // A value that is not a number, a string or a boolean is written as its text (a path, a fingerprint), not
            // taken apart by reflection: the same in the native binary, where reflection is trimmed away.
            MaxRecursionLimit = 0,
        };
        json.Attributes.Add(new JsonAttribute("time", "${date:universalTime=true:format=yyyy-MM-ddTHH\\:mm\\:ss.fffZ}"));
        json.Attributes.Add(new JsonAttribute("level", Layout.FromMethod(e => LevelName(e.Level), LayoutRenderOptions.ThreadAgnostic)));
        json.Attributes.Add(new JsonAttribute("logger", "${logger}"));
        json.Attributes.Add(new JsonAttribute("message", "${message}"));
        if (runId is not null)
        {
            json.Attributes.Add(new JsonAttribute("run_id", runId));
        }

        // The span the message was logged in (a request's, or the run's), when spans are recorded: links a line to its
        // trace. Read on the logging thread, which is the caller's: the console target writes synchronously.
        json.Attributes.Add(new JsonAttribute("trace_id", Layout.FromMethod(_ => Activity.Current?.TraceId.ToHexString() ?? "")));
        json.Attributes.Add(new JsonAttribute("span_id", Layout.FromMethod(_ => Activity.Current?.SpanId.ToHexString() ?? "")));
        json.Attributes.Add(new JsonAttribute("exception", "${exception:format=tostring}"));
        return json;
    }

    /// <summary>The words of <c>--log-level</c>, rather than NLog's (<c>Warn</c>, <c>Info</c>).</summary>
    private static string LevelName(NLog.LogLevel level) =>
        level == NLog.LogLevel.Trace ? "trace"
        : level == NLog.LogLevel.Debug ? "debug"
        : level == NLog.LogLevel.Info ? "info"
        : level == NLog.LogLevel.Warn ? "warning"
        : level == NLog.LogLevel.Error ? "error"
        : "fatal";

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
