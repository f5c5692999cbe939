using System.Globalization;
using Seldon.Batch.Dataflow.Pipeline;

namespace Seldon.Batch.Dataflow.Cli;

/// <summary>A one-line progress bar with rate and ETA, redrawn in place on an interactive terminal's stderr.</summary>
internal sealed class TerminalProgressBar : IProgress<RunProgress>
{
    private const int Width = 30;
    private readonly TextWriter _stderr;
    private readonly Lock _lock = new();
    private bool _drawn;

    public TerminalProgressBar(TextWriter stderr) => _stderr = stderr;

    /// <summary>Only the process's own stderr, and only when it is a terminal, gets a bar.</summary>
    public static bool IsTerminal(TextWriter stderr) =>
        ReferenceEquals(stderr, Console.Error) && !Console.IsErrorRedirected && Environment.GetEnvironmentVariable("TERM") is not (null or "dumb");

    public void Report(RunProgress value)
    {
        lock (_lock)
        {
            _stderr.Write("\r\u001b[K" + Render(value));
            _stderr.Flush();
            _drawn = true;
        }
    }

    /// <summary>Ends the bar's line so what follows starts on a new one.</summary>
    public void Finish()
    {
        lock (_lock)
        {
            if (_drawn)
            {
                _stderr.WriteLine();
                _drawn = false;
            }
        }
    }

    internal static string Render(RunProgress p)
    {
        var fraction = Math.Clamp(p.Fraction, 0, 1);
        var filled = (int)Math.Round(fraction * Width);
        var eta = p.Remaining is { } left ? left.ToString(left.TotalHours >= 1 ? @"h\:mm\:ss" : @"m\:ss", CultureInfo.InvariantCulture) : "--:--";
        return string.Create(
            CultureInfo.InvariantCulture,
            $"[{new string('#', filled)}{new string('-', Width - filled)}] {fraction * 100,5:0.0}%  {p.LinesWritten:N0} lines  {p.LinesPerSecond:N0}/s  ETA {eta}  failed {p.Failed:N0}");
    }
}
