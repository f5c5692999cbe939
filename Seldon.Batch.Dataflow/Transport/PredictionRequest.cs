using System.Text;

namespace Seldon.Batch.Dataflow;

/// <summary>One request to the model.</summary>
/// <param name="Method">Predict or feedback.</param>
/// <param name="Body">The Seldon message (or Feedback) as JSON.</param>
/// <param name="Puid">The request's id, sent as <c>seldon-puid</c>.</param>
public sealed record PredictionRequest(PredictionMethod Method, string Body, string Puid)
{
    // One of the two forms is given, the other made when first read (two threads that make it at once make equal values):
    // the encoders write the body as UTF-8, which the REST transport sends as it is, so no string is made of it there.
    private string? _body = Body;
    private byte[]? _utf8Body;

    /// <summary>A request whose body is given as UTF-8 bytes (the request owns them from here on: they are not to be
    /// changed); <see cref="Body"/> is made of them only when read.</summary>
    /// <param name="method">Predict or feedback.</param>
    /// <param name="utf8Body">The Seldon message (or Feedback) as the UTF-8 bytes of its JSON.</param>
    /// <param name="puid">The request's id, sent as <c>seldon-puid</c>.</param>
    internal PredictionRequest(PredictionMethod method, byte[] utf8Body, string puid)
        : this(method, (string)null!, puid) => _utf8Body = utf8Body ?? throw new ArgumentNullException(nameof(utf8Body));

    /// <summary>The Seldon message (or Feedback) as JSON.</summary>
    public string Body
    {
        get => _body ??= Encoding.UTF8.GetString(_utf8Body!);
        init
        {
            _body = value;
            _utf8Body = null;
        }
    }

    /// <summary>The body as UTF-8 bytes, what goes on the wire (not to be changed).</summary>
    public byte[] Utf8Body => _utf8Body ??= Encoding.UTF8.GetBytes(_body!);

    /// <summary>Requests are equal when their method, body and puid are, whichever form their bodies were given in.</summary>
    public bool Equals(PredictionRequest? other) =>
        other is not null && (ReferenceEquals(this, other) || (Method == other.Method && Puid == other.Puid && Body == other.Body));

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Method, Body, Puid);
}
