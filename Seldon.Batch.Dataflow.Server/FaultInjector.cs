using Microsoft.Extensions.Logging;

namespace Seldon.Batch.Dataflow.Server;

/// <summary>
/// Decides, per request, the faults configured in <see cref="ServeOptions"/>, and counts them.
/// </summary>
/// <remarks>
/// Random decisions are derived from the seed and the request's number rather than drawn from one shared
/// generator: concurrent requests would otherwise take turns on the generator in a racy order, and the same
/// seed would not give the same run twice.
/// </remarks>
internal sealed partial class FaultInjector
{
    private readonly ServerStatistics _statistics;
    private readonly ILogger _logger;
    private readonly int _failFirst;
    private readonly int _failEvery;
    private readonly double _failRate;
    private readonly int _dropEvery;
    private readonly int _delayMs;
    private readonly int _maxRandomDelayMs;
    private readonly ulong _seed;
    private readonly string _requiredToken;

    public FaultInjector(ServeOptions options, ServerStatistics statistics, ILogger<FaultInjector> logger)
    {
        _statistics = statistics;
        _logger = logger;
        _failFirst = options.FailFirst;
        _failEvery = options.FailEvery;
        _failRate = options.FailRate;
        _dropEvery = options.DropEvery;
        _delayMs = options.DelayMs;
        _maxRandomDelayMs = options.MaxRandomDelayMs;
        _seed = unchecked((ulong)options.Seed);
        FailStatus = options.FailStatus;
        _requiredToken = options.RequiredToken;
    }

    /// <summary>The HTTP status of an injected failure.</summary>
    public int FailStatus { get; }

    /// <summary>Records the request's Seldon headers and checks its token, when one is required.</summary>
    public bool Authorize(Func<string, string?> header)
    {
        _statistics.RecordHeaders(header);
        if (_requiredToken.Length == 0 || header("x-auth-token") == _requiredToken)
        {
            return true;
        }

        _statistics.CountUnauthorized();
        return false;
    }

    /// <summary>Counts an arriving request and decides what happens to it.</summary>
    public FaultDecision Admit(SeldonMethod method)
    {
        long number = _statistics.CountRequest(method);

        if (_dropEvery > 0 && number % _dropEvery == 0)
        {
            _statistics.CountDroppedConnection();
            LogDrop(_logger, number, method);
            return new FaultDecision(Drop: true, Fail: false, TimeSpan.Zero);
        }

        bool fail = number <= _failFirst
            || (_failEvery > 0 && number % _failEvery == 0)
            || (_failRate > 0 && UniformDraw(number, stream: 1) < _failRate);
        if (fail)
        {
            _statistics.CountInjectedFailure();
            LogFailure(_logger, number, method, FailStatus);
            return new FaultDecision(Drop: false, Fail: true, TimeSpan.Zero);
        }

        int delayMs = _delayMs;
        if (_maxRandomDelayMs > 0)
        {
            delayMs += (int)(UniformDraw(number, stream: 2) * (_maxRandomDelayMs + 1.0));
        }

        return new FaultDecision(Drop: false, Fail: false, TimeSpan.FromMilliseconds(delayMs));
    }

    /// <summary>A number in [0, 1) that depends only on the seed, the request number and the stream.</summary>
    private double UniformDraw(long requestNumber, ulong stream)
    {
        // SplitMix64's finaliser: consecutive inputs give statistically independent outputs.
        ulong z = unchecked(_seed * 0x9E3779B97F4A7C15UL + (ulong)requestNumber * 0xBF58476D1CE4E5B9UL + stream * 0x94D049BB133111EBUL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        z ^= z >> 31;
        return (z >> 11) * (1.0 / (1UL << 53));
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Request {Number} ({Method}): dropping the connection")]
    private static partial void LogDrop(ILogger logger, long number, SeldonMethod method);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Request {Number} ({Method}): injecting failure {Status}")]
    private static partial void LogFailure(ILogger logger, long number, SeldonMethod method, int status);
}
