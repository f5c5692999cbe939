namespace Seldon.Batch.Dataflow;

/// <summary>A setting of <see cref="BatchOptions"/>, <see cref="EndpointSettings"/> or <see cref="PredictionBlockOptions"/>
/// is invalid; the message names it by its bare property name (<c>Workers must be at least 1, not 0</c>: the names are
/// unique across the three types) and says why, and <see cref="Properties"/> says which it is, so that a front end can
/// speak of its own names instead (<see cref="FormatMessage"/>).</summary>
public sealed class InvalidBatchOptionsException : ArgumentException
{
    private readonly Func<Func<string, string>, string>? _message;

    /// <summary>Creates the exception with a message for the user that names no property.</summary>
    public InvalidBatchOptionsException(string message)
        : base(message)
    {
        Properties = [];
    }

    /// <summary>The exception for <paramref name="properties"/>; <paramref name="message"/> writes the message with each
    /// property called what the function it is given returns for the property's name.</summary>
    private InvalidBatchOptionsException(string[] properties, Func<Func<string, string>, string> message)
        : base(message(static property => property))
    {
        Properties = properties;
        _message = message;
    }

    /// <summary>The property the message is first about (its <c>nameof</c>: <c>"Workers"</c>); null when it names none.</summary>
    public string? Property => Properties.Count > 0 ? Properties[0] : null;

    /// <summary>Every property the message names, in the order it names them (a rule about two settings names both).</summary>
    public IReadOnlyList<string> Properties { get; }

    /// <summary>The message with each property it names written as <paramref name="name"/> returns it: a command line
    /// passes its flag (<c>Workers</c> → <c>--workers</c>) and gets its own wording. A message that names no property is
    /// returned as it is.</summary>
    /// <param name="name">The name to use for a property, given the property's own name.</param>
    public string FormatMessage(Func<string, string> name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _message is null ? Message : _message(name);
    }

    /// <summary>The exception for a rule of one property: the message is the property's name followed by
    /// <paramref name="rest"/> (<c>" must be at least 1, not 0"</c>, <c>": no file at …"</c>).</summary>
    internal static InvalidBatchOptionsException About(string property, string rest) =>
        new([property], name => name(property) + rest);

    /// <summary>The exception for a rule that names several properties, or names one inside its message.</summary>
    internal static InvalidBatchOptionsException About(string[] properties, Func<Func<string, string>, string> message) =>
        new(properties, message);

    /// <summary>A setting of the Open Inference Protocol set for the Seldon protocol.</summary>
    internal static InvalidBatchOptionsException BelongsToV2(string property) =>
        About([property, nameof(EndpointSettings.Protocol)], name =>
            $"{name(property)} belongs to {name(nameof(EndpointSettings.Protocol))} v2; the Seldon protocol has no such setting");
}
