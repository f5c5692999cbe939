using System.Text.Encodings.Web;
using System.Text.Json;

namespace Seldon.Batch.Dataflow;

/// <summary>What the rows of a table run are to the model, shared by all of them: the columns' names and how the codec
/// lays the rows of a request out. Seldon: an ndarray of one row per table row, or a tensor of shape [rows, columns], with
/// the names as <c>data.names</c>. Open Inference: one input per column, named after it, of shape [rows], with the request
/// parameter <c>content_type: pd</c>; or one input (<see cref="InputName"/>) of shape [rows, columns].</summary>
internal sealed class RowLayout
{
    /// <param name="names">The columns, in the order of each row's values.</param>
    /// <param name="isTensor">Seldon: a tensor rather than an ndarray; Open Inference: one tensor rather than an input per column.</param>
    /// <param name="datatypes">Open Inference: each column's datatype (one input per column), or the tensor's one datatype;
    /// empty for Seldon.</param>
    /// <param name="inputName">Open Inference: the tensor's input name; empty otherwise.</param>
    public RowLayout(IReadOnlyList<string> names, bool isTensor, IReadOnlyList<string> datatypes, string inputName)
    {
        Names = [.. names.Select(n => JsonEncodedText.Encode(n, JavaScriptEncoder.UnsafeRelaxedJsonEscaping))];
        IsTensor = isTensor;
        Datatypes = [.. datatypes];
        InputName = JsonEncodedText.Encode(inputName, JavaScriptEncoder.UnsafeRelaxedJsonEscaping);
    }

    public JsonEncodedText[] Names { get; }

    public bool IsTensor { get; }

    public string[] Datatypes { get; }

    public JsonEncodedText InputName { get; }

    /// <summary>Open Inference: a text input says so, as MLServer's own encoders do, so that its string codec gives the model
    /// text rather than bytes.</summary>
    public static bool IsText(string datatype) => datatype == TensorDatatype.Bytes;
}
