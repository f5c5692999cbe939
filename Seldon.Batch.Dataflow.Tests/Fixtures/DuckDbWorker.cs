using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace Seldon.Batch.Dataflow.Tests.Fixtures;

/// <summary>One <c>node duck.mjs --serve</c> process that runs one script at a time for <see cref="DuckDb"/>: a script
/// goes in ended by a NUL character; its rows come back as JSON lines, then a line that starts with NUL saying
/// <c>ok</c> or <c>error</c> and DuckDB's message. The process ends when its standard input closes (with the test
/// host at the latest).</summary>
internal sealed class DuckDbWorker : IDisposable
{
    private readonly Process _process;
    private readonly Task<string> _errors;

    private DuckDbWorker(Process process)
    {
        _process = process;
        _errors = process.StandardError.ReadToEndAsync();
    }

    public static DuckDbWorker Start(string script)
    {
        var start = new ProcessStartInfo("node")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardInputEncoding = new UTF8Encoding(false),
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        start.ArgumentList.Add(script);
        start.ArgumentList.Add("--serve");
        try
        {
            return new DuckDbWorker(Process.Start(start)!);
        }
        catch (Win32Exception ex)
        {
            throw new InvalidOperationException(
                "node is not installed or not on PATH: the table tests check their files with DuckDB under node; run `make test` (deploy/duckdb.sh installs node, npm and DuckDB)", ex);
        }
    }

    /// <summary>The rows <paramref name="sql"/> printed (JSON lines) and DuckDB's error message, null when it
    /// succeeded. Throws <see cref="TimeoutException"/> after <paramref name="timeout"/>, and
    /// <see cref="InvalidOperationException"/> when node ended.</summary>
    public async Task<(string Output, string? Error)> RunAsync(string sql, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        var output = new StringBuilder();
        try
        {
            await _process.StandardInput.WriteAsync((sql + '\0').AsMemory(), cancel.Token);
            await _process.StandardInput.FlushAsync(cancel.Token);
            while (await _process.StandardOutput.ReadLineAsync(cancel.Token) is { } line)
            {
                if (line.StartsWith('\0'))
                {
                    return line == "\0ok" ? (output.ToString(), null) : (output.ToString(), line["\0error ".Length..]);
                }

                output.Append(line).Append('\n');
            }
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            throw new TimeoutException();
        }

        await _process.WaitForExitAsync(CancellationToken.None);
        throw new InvalidOperationException($"DuckDB failed: node ended with exit code {_process.ExitCode}: {(await _errors).Trim()}");
    }

    public void Dispose()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It had ended already.
        }

        _process.Dispose();
    }
}
