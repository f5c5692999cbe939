using System.Globalization;

namespace Seldon.Batch.Dataflow;

/// <summary>The prediction columns of a table output, learned from the records before the first row is written (a
/// Parquet schema is fixed before its first row): each name in the order it first appears, and its type: a column whose
/// values are all numbers is <see cref="double"/>, all booleans <see cref="bool"/>, anything else (text, or a mix)
/// <see cref="string"/>; a column that held a list in any row is a list (<c>object?[]</c>) of that element type, its
/// single values then lists of one. A column whose every value is null is a string column. Then it fills each row with
/// its record's values in those types.</summary>
internal sealed class PredictionColumns
{
    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);
    private readonly List<Column> _columns = [];

    /// <summary>The column of each cell of the record before, by the cell's place: records nearly always name the same
    /// columns in the same order, so a cell's column is looked up by name only when it is not the one there.</summary>
    private int[] _positions = [];

    /// <summary>What a column holds, learned from its values: nothing yet, then one kind; two kinds make it text.</summary>
    private enum Kind
    {
        None,
        Number,
        Bool,
        Text,
    }

    /// <summary>The columns' names, in the order they first appeared.</summary>
    public IEnumerable<string> Names => _columns.Select(static c => c.Name);

    public int Count => _columns.Count;

    /// <summary>Learns the columns and types of one record's cells. Returns whether they changed what was learned (a
    /// column new, or of another type than the records before made it).</summary>
    public bool Learn(IReadOnlyList<PredictionCell> cells)
    {
        var changed = false;
        for (var i = 0; i < cells.Count; i++)
        {
            var (name, value) = cells[i];
            if (PositionOf(i, name) is not (>= 0 and var at))
            {
                _index[name] = at = _columns.Count;
                _columns.Add(new Column(name));
                _positions[i] = at;
                changed = true;
            }

            var column = _columns[at];
            var kind = column.Kind;
            if (value is object?[] list)
            {
                changed |= !column.IsList;
                column.IsList = true;
                foreach (var element in list)
                {
                    kind = Merge(kind, KindOf(element));
                }
            }
            else
            {
                kind = Merge(kind, KindOf(value));
            }

            changed |= kind != column.Kind;
            column.Kind = kind;
        }

        return changed;
    }

    /// <summary>The columns as a table writer takes them.</summary>
    public IReadOnlyList<TableColumn> ToTableColumns() =>
        [.. _columns.Select(static c => c.IsList
            ? new TableColumn(c.Name, typeof(object?[]), ElementType: TypeOf(c.Kind))
            : new TableColumn(c.Name, TypeOf(c.Kind)))];

    /// <summary>Writes a record's values into <paramref name="row"/> from <paramref name="offset"/> on, in the learned
    /// order and types; the columns the record has no value for are null.</summary>
    public void Fill(IReadOnlyList<PredictionCell> cells, object?[] row, int offset)
    {
        Array.Clear(row, offset, _columns.Count);
        for (var i = 0; i < cells.Count; i++)
        {
            var (name, value) = cells[i];
            // A name met again in the same record (an answer naming two columns alike) keeps its first value.
            var at = PositionOf(i, name);
            if (row[offset + at] is not null)
            {
                continue;
            }

            var column = _columns[at];
            row[offset + at] = value switch
            {
                null => null,
                object?[] list => Array.ConvertAll(list, element => As(element, column.Kind)),
                _ when column.IsList => new[] { As(value, column.Kind) },
                _ => As(value, column.Kind),
            };
        }
    }

    /// <summary>The column of cell <paramref name="i"/>, named <paramref name="name"/>: the one of the record before's cell
    /// there when it has that name (names read from records are mostly the same string), else looked up; -1 when no
    /// column has it.</summary>
    private int PositionOf(int i, string name)
    {
        if (i >= _positions.Length)
        {
            var known = _positions.Length;
            Array.Resize(ref _positions, Math.Max(i + 1, known * 2));
            Array.Fill(_positions, -1, known, _positions.Length - known);
        }

        var at = _positions[i];
        if (at >= 0 && string.Equals(_columns[at].Name, name, StringComparison.Ordinal))
        {
            return at;
        }

        at = _index.TryGetValue(name, out var found) ? found : -1;
        _positions[i] = at;
        return at;
    }

    private static Kind KindOf(object? value) => value switch
    {
        null => Kind.None,
        double => Kind.Number,
        bool => Kind.Bool,
        _ => Kind.Text,
    };

    private static Kind Merge(Kind learned, Kind seen) =>
        seen == Kind.None || seen == learned ? learned
        : learned == Kind.None ? seen
        : Kind.Text;

    private static Type TypeOf(Kind kind) => kind switch
    {
        Kind.Number => typeof(double),
        Kind.Bool => typeof(bool),
        _ => typeof(string),
    };

    /// <summary>A value in its column's type: the same value, or for a text column its text.</summary>
    private static object? As(object? value, Kind kind) => kind != Kind.Text || value is null or string ? value : value switch
    {
        double number => number.ToString("R", CultureInfo.InvariantCulture),
        bool flag => flag ? "true" : "false",
        _ => Convert.ToString(value, CultureInfo.InvariantCulture),
    };

    private sealed class Column(string name)
    {
        public string Name { get; } = name;

        public Kind Kind { get; set; }

        public bool IsList { get; set; }
    }
}
