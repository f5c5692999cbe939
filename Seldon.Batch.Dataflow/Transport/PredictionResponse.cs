using System.Text;

namespace Seldon.Batch.Dataflow;

/// <summary>The outcome of a request: the model's answer, or why there is none. A client makes one with
/// <see cref="Success"/>, <see cref="Failed"/> or <see cref="Unanswered"/>; tests may use
/// <see cref="BatchModelFactory.PredictionResponse"/>.</summary>
public sealed record PredictionResponse
{
    // The answer in one of two forms, the other made only when read: the transports read answers as UTF-8 bytes, which the
    // codecs parse as they are, so no string is made of them (a client of the library's users may still give a string).
    private string? _body;
    private byte[]? _utf8Body;

    internal PredictionResponse()
    {
    }

    /// <summary>The answer body (JSON) when the model answered with success.</summary>
    public string? Body
    {
        get => _body ??= _utf8Body is null ? null : Encoding.UTF8.GetString(_utf8Body);
        internal init
        {
            _body = value;
            _utf8Body = null;
        }
    }

    /// <summary>The answer body as the bytes the transport read (UTF-8, not necessarily valid: they are not to be
    /// changed), when it was given so; null when it was given as text.</summary>
    internal byte[]? Utf8Body => _utf8Body;

    /// <summary>The answer as the codecs take it: its bytes when it came as bytes, otherwise its text.</summary>
    internal AnswerBody Answer => _utf8Body is not null ? AnswerBody.FromUtf8(_utf8Body) : new AnswerBody(_body);

    /// <summary>HTTP status or gRPC status code; 0 when no answer arrived at all (refused, reset, timed out).</summary>
    public int Code { get; internal init; }

    /// <summary>Why the request failed; null on success.</summary>
    public PredictionFailure? Failure { get; internal init; }

    /// <summary>Attempts made beyond the first (retries of transient failures and re-sends after an outage).</summary>
    public int Retries { get; internal init; }

    /// <summary>Whether the model answered with success.</summary>
    public bool IsSuccess => Failure is null;

    /// <summary>A successful answer.</summary>
    public static PredictionResponse Success(string body, int code) => new() { Body = body, Code = code };

    /// <summary>A successful answer given as the UTF-8 bytes the transport read (the response owns them from here on);
    /// <see cref="Body"/> is made of them only when read.</summary>
    internal static PredictionResponse SuccessUtf8(byte[] body, int code) =>
        new() { _utf8Body = body ?? throw new ArgumentNullException(nameof(body)), Code = code };

    /// <summary>A failed request.</summary>
    public static PredictionResponse Failed(PredictionFailureKind kind, int code, string detail) =>
        new() { Code = code, Failure = new PredictionFailure(kind, code, detail) };

    /// <summary>A request that got no answer from the server at all (refused, reset, unresolvable, timed out).</summary>
    public static PredictionResponse Unanswered(PredictionFailureKind kind, int code, string detail) =>
        new() { Code = code, Failure = new PredictionFailure(kind, code, detail) { ReachedServer = false } };

    /// <summary>Responses are equal when their bodies (as text), codes, failures and retries are, whichever form their
    /// bodies were given in.</summary>
    public bool Equals(PredictionResponse? other) =>
        other is not null && (ReferenceEquals(this, other) || (Code == other.Code && Retries == other.Retries
            && Equals(Failure, other.Failure) && Body == other.Body));

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Body, Code, Failure, Retries);
}
