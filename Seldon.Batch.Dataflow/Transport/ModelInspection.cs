namespace Seldon.Batch.Dataflow;

/// <summary>What the server said about the model before the run.</summary>
/// <param name="State">Whether it is there, ready, or could not be asked.</param>
/// <param name="Detail">The server's words, or why it could not be asked; never empty unless ready.</param>
/// <param name="Inputs">The model's inputs as its metadata declares them (name, datatype); empty when it declares none.</param>
/// <param name="Outputs">The names of the model's outputs as its metadata declares them; empty (or null) when it declares none.</param>
internal sealed record ModelInspection(ModelState State, string Detail, IReadOnlyList<(string Name, string Datatype)> Inputs, IReadOnlyList<string>? Outputs = null)
{
    public static ModelInspection Failed(ModelState state, string detail) => new(state, detail, []);
}
