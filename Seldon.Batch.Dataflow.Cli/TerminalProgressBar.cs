using System.Globalization;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Cli;

/// <summary>A one-line progress bar with the current rate and ETA, redrawn in place on an interactive terminal's
/// stderr. The log writes through <see cref="WriteLine"/> while the bar is up, so that a log line never lands on the
/// bar: the bar's line is cleared, the log line written, and the bar drawn again below it.</summary>
internal sealed class TerminalProgressBar : IProgress<RunProgress>
{
    private const int Width = 30;
    private const string ClearLine = "\r\u001b[K";
    private readonly TextWriter _stderr;
    private readonly Lock _lock = new();
    private string? _bar;

    public TerminalProgressBar(TextWriter stderr) => _stderr = stderr;

    /// <summary>Only the process's own stderr, and only when it is a terminal, gets a bar.</summary>
    public static bool IsTerminal(TextWriter stderr) =>
        ReferenceEquals(stderr, Console.Error) && !Console.IsErrorRedirected && Environment.GetEnvironmentVariable("TERM") is not (null or "dumb");

    public void Report(RunProgress value)
    {
        lock (_lock)
        {
            _bar = Render(value);
            _stderr.Write(ClearLine + _bar);
            _stderr.Flush();
        }
    }

    /// <summary>Writes a whole line (a log line) above the bar.</summary>
    public void WriteLine(string line)
    {
        lock (_lock)
        {
            _stderr.Write(_bar is null ? line + "\n" : ClearLine + line + "\n" + _bar);
            _stderr.Flush();
        }
    }

    /// <summary>Ends the bar's line, leaving its last state, so what follows starts on a new one.</summary>
    public void Finish()
    {
        lock (_lock)
        {
            if (_bar is not null)
            {
                _stderr.WriteLine();
                _stderr.Flush();
                _bar = null;
            }
        }
    }

    internal static string Render(RunProgress p)
    {
        var fraction = Math.Clamp(p.Fraction, 0, 1);
        var filled = (int)Math.Floor(fraction * Width);
        var eta = p.Remaining switch
        {
            null => "--:--",
            { TotalHours: >= 1 } left => string.Create(CultureInfo.InvariantCulture, $"{(long)left.TotalHours}:{left.Minutes:00}:{left.Seconds:00}"),
            { } left => string.Create(CultureInfo.InvariantCulture, $"{left.Minutes}:{left.Seconds:00}"),
        };
        return string.Create(
            CultureInfo.InvariantCulture,
            $"[{new string('#', filled)}{new string('-', Width - filled)}] {Math.Floor(fraction * 1000) / 10,5:0.0}%  {p.LinesWritten:N0} lines  {p.LinesPerSecond:N0}/s  ETA {eta}  failed {p.Failed:N0}");
    }
}
