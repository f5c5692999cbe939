using System.Diagnostics;
using System.Text;
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
    private readonly int _outageAfter;
    private readonly TimeSpan _outageLength;
    private readonly ServerOutageMode _outageMode;
    private readonly byte[] _refuseValue;
    private readonly byte[] _slowValue;
    private long _outageStarted = -1;

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
        _outageAfter = options.OutageAfter;
        _outageLength = TimeSpan.FromSeconds(options.OutageSeconds);
        _outageMode = options.OutageMode;
        _refuseValue = Encoding.UTF8.GetBytes(options.RefuseValue);
        RefuseStatus = options.RefuseStatus;
        _slowValue = Encoding.UTF8.GetBytes(options.SlowValue);
        SlowDelay = TimeSpan.FromMilliseconds(options.SlowDelayMs);
        AnswerStatus = options.AnswerStatus;
        AnswerBody = options.AnswerBody.Length > 0 ? options.AnswerBody : $"{options.AnswerStatus} {ReasonPhrase(options.AnswerStatus)}";
        AnswerContentType = AnswerBody.StartsWith('<') ? "text/html; charset=utf-8"
            : AnswerBody.StartsWith('{') ? "application/json"
            : "text/plain; charset=utf-8";
    }

    /// <summary>The status every request is answered with, before anything else; 0 for none.</summary>
    public int AnswerStatus { get; }

    /// <summary>The body of <see cref="AnswerStatus"/>.</summary>
    public string AnswerBody { get; }

    /// <summary>The content type of <see cref="AnswerBody"/>.</summary>
    public string AnswerContentType { get; }

    /// <summary>The status of a request refused for a <see cref="ServeOptions.RefuseValue"/> row: 400 or 500.</summary>
    public int RefuseStatus { get; }

    /// <summary>Counts a request answered with the fixed <see cref="AnswerStatus"/>.</summary>
    public void CountFixedAnswer()
    {
        long number = _statistics.CountRequest(SeldonMethod.Predict);
        _statistics.CountInjectedFailure();
        LogFailure(_logger, number, SeldonMethod.Predict, AnswerStatus);
    }

    /// <summary>How long a request holding <see cref="ServeOptions.SlowValue"/> waits before the model answers it.</summary>
    public TimeSpan SlowDelay { get; }

    /// <summary>Whether the request (its JSON) holds the refused value as a whole token in any row.</summary>
    public bool Refuses(ReadOnlySpan<byte> json)
    {
        if (!HoldsToken(json, _refuseValue))
        {
            return false;
        }

        _statistics.CountBadRequest();
        return true;
    }

    /// <summary>Whether the request (its JSON) holds the slow value as a whole token in any row: it is then answered only
    /// after <see cref="SlowDelay"/>.</summary>
    public bool Slows(ReadOnlySpan<byte> json)
    {
        if (!HoldsToken(json, _slowValue))
        {
            return false;
        }

        _statistics.CountSlowRequest();
        return true;
    }

    private static bool HoldsToken(ReadOnlySpan<byte> json, byte[] value)
    {
        if (value.Length == 0)
        {
            return false;
        }

        for (int at = json.IndexOf(value); at >= 0;)
        {
            int end = at + value.Length;
            if ((at == 0 || !IsTokenByte(json[at - 1])) && (end == json.Length || !IsTokenByte(json[end])))
            {
                return true;
            }

            int next = json[end..].IndexOf(value);
            at = next < 0 ? -1 : end + next;
        }

        return false;
    }

    private static bool IsTokenByte(byte b) => char.IsAsciiLetterOrDigit((char)b) || b is (byte)'.' or (byte)'-' or (byte)'_' or (byte)'+';

    private static string ReasonPhrase(int status) => status switch
    {
        200 => "OK",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    };

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

        if (InOutage(number))
        {
            _statistics.CountInjectedFailure();
            LogOutage(_logger, number, method, _outageMode);
            return _outageMode == ServerOutageMode.Reset
                ? new FaultDecision(Drop: true, Fail: false, TimeSpan.Zero)
                : new FaultDecision(Drop: false, Fail: false, TimeSpan.Zero, GatewayDown: true);
        }

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

    /// <summary>Whether request <paramref name="number"/> falls in the outage window, which opens when request
    /// <see cref="ServeOptions.OutageAfter"/> arrives.</summary>
    private bool InOutage(long number)
    {
        if (_outageAfter == 0 || number < _outageAfter)
        {
            return false;
        }

        long started = Interlocked.Read(ref _outageStarted);
        if (started < 0)
        {
            long now = Stopwatch.GetTimestamp();
            started = Interlocked.CompareExchange(ref _outageStarted, now, -1) is var previous && previous < 0 ? now : previous;
        }

        return Stopwatch.GetElapsedTime(started) < _outageLength;
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

    [LoggerMessage(Level = LogLevel.Debug, Message = "Request {Number} ({Method}): in the outage ({Mode})")]
    private static partial void LogOutage(ILogger logger, long number, SeldonMethod method, ServerOutageMode mode);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Request {Number} ({Method}): injecting failure {Status}")]
    private static partial void LogFailure(ILogger logger, long number, SeldonMethod method, int status);
}
