using System.CommandLine;
using Microsoft.Extensions.Logging;
using Seldon.Batch.Dataflow.Server;

namespace Seldon.Batch.Dataflow.Cli;

/// <summary><c>serve</c>: hosts the built-in demo model on loopback, over Seldon REST and gRPC, with fault
/// injection for tests, until Ctrl-C or SIGTERM.</summary>
internal static class ServeCommand
{
    public static Command Create(Func<string, string?> environment, TextWriter stdout, TextWriter stderr, SignalCancellation signals)
    {
        var command = new Command("serve", "Serve the built-in deterministic demo model (Seldon REST and gRPC) until stopped");
        var flags = new ServeFlags();
        flags.AddTo(command);
        command.SetAction((parse, _) => ServeAsync(flags, parse, stdout, stderr, signals));
        return command;
    }

    /// <summary>Serves until a signal stops it; a setting that cannot be used, or a port that cannot be bound, is one
    /// line on <paramref name="stderr"/> and <see cref="ExitCodes.InvalidSettings"/>.</summary>
    private static async Task<int> ServeAsync(ServeFlags flags, ParseResult parse, TextWriter stdout, TextWriter stderr, SignalCancellation signals)
    {
        ServeOptions options;
        Microsoft.Extensions.Logging.LogLevel level;
        try
        {
            options = flags.ToOptions(parse);
            options.Validate();
            level = flags.LogLevelOf(parse);
        }
        catch (ArgumentException ex)
        {
            await stderr.WriteLineAsync($"seldon-batch-processor serve: error: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.InvalidSettings;
        }

        using var loggers = CliLogging.Create(level);
        DemoModelServer started;
        try
        {
            started = await DemoModelServer.StartAsync(options, loggers, signals.Token).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            // Kestrel's bind failure: a port taken by another process is a setting to change, not a crash.
            await stderr.WriteLineAsync($"seldon-batch-processor serve: error: {BindFailure(ex, options)}").ConfigureAwait(false);
            return ExitCodes.InvalidSettings;
        }

        await using var server = started;
        await AnnounceAsync(server, parse.GetValue(flags.ReadyFile), stdout).ConfigureAwait(false);
        try
        {
            await Task.Delay(Timeout.Infinite, signals.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopped by a signal: the normal way to end serving.
        }

        await server.StopAsync().ConfigureAwait(false);
        if (options.Capacity > 0 || options.RejectAbove > 0)
        {
            // What a benchmark of the capacity reads at the end (GET /stats reads it while serving).
            await stdout.WriteLineAsync($"served: {server.Statistics}").ConfigureAwait(false);
        }

        return ExitCodes.Success;
    }

    /// <summary>Says where the server listens, on <paramref name="stdout"/> and in the ready file when one was asked for
    /// (written whole, then moved into place, so that a reader never sees half of it).</summary>
    private static async Task AnnounceAsync(DemoModelServer server, string? readyFile, TextWriter stdout)
    {
        var grpc = server.GrpcPort > 0 ? server.GrpcAddress : "off";
        await stdout.WriteLineAsync($"serving the demo model: REST {server.RestBaseAddress} gRPC {grpc} (Ctrl-C stops)").ConfigureAwait(false);
        // Announced in full even when a signal is already stopping the server: a reader waits for these.
        await stdout.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        if (readyFile is { Length: > 0 } ready)
        {
            var temp = ready + ".tmp";
            await File.WriteAllTextAsync(temp, $"rest={server.RestPort} grpc={server.GrpcPort}\n", CancellationToken.None).ConfigureAwait(false);
            File.Move(temp, ready, overwrite: true);
        }
    }

    /// <summary>One line naming the port that could not be bound and the flag that set it. Kestrel's message names
    /// the address ("Failed to bind to address http://127.0.0.1:9500: address already in use."), which tells the two
    /// endpoints apart; when it does not, its message is shown as it is.</summary>
    private static string BindFailure(IOException ex, ServeOptions options)
    {
        var flag = ex.Message.Contains($":{options.RestPort}:", StringComparison.Ordinal) ? "--port"
            : options.GrpcPort > 0 && ex.Message.Contains($":{options.GrpcPort}:", StringComparison.Ordinal) ? "--grpc-port"
            : null;
        if (flag is null)
        {
            return $"cannot listen on {options.Host}: {ex.Message}";
        }

        var port = flag == "--port" ? options.RestPort : options.GrpcPort;
        var cause = ex.InnerException?.Message.TrimEnd('.').ToLowerInvariant() ?? "cannot be bound";
        return $"{options.Host}:{port} ({flag}): {cause}; choose another port, or 0 for any free one";
    }
}
