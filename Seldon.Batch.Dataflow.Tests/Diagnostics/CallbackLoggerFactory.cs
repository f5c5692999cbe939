using Microsoft.Extensions.Logging;

namespace Seldon.Batch.Dataflow.Tests.Diagnostics;

/// <summary>Hands every log message to a callback, on the thread that logs it: a test sees the state of what logs at
/// that moment.</summary>
internal sealed class CallbackLoggerFactory(Action<string> onMessage) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName) => new Logger(onMessage);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private sealed class Logger(Action<string> onMessage) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            onMessage(formatter(state, exception));
    }
}
