using System.Globalization;

namespace Seldon.Batch.Dataflow.Tests.Tables;

/// <summary>Compares table values exactly: the same CLR type and value, a timestamp with the same kind, lists and byte
/// arrays element by element. (A decimal compares by value: 1.50 equals 1.5.)</summary>
internal static class TableValues
{
    public static void Same(object? expected, object? actual, string where)
    {
        switch (expected)
        {
            case null:
                Assert.True(actual is null, $"{where}: expected null, got {Show(actual)}");
                return;
            case object?[] list:
                var items = Assert.IsType<object?[]>(actual, exactMatch: true);
                Assert.True(list.Length == items.Length, $"{where}: expected {list.Length} elements, got {Show(actual)}");
                for (var i = 0; i < list.Length; i++)
                {
                    Same(list[i], items[i], $"{where}[{i}]");
                }

                return;
            case byte[] bytes:
                Assert.True(actual is byte[] b && b.SequenceEqual(bytes), $"{where}: expected {Show(expected)}, got {Show(actual)}");
                return;
        }

        Assert.True(actual is not null && actual.GetType() == expected.GetType(), $"{where}: expected {Show(expected)}, got {Show(actual)}");
        switch (expected)
        {
            case DateTime t:
                Assert.True(t == (DateTime)actual! && t.Kind == ((DateTime)actual!).Kind, $"{where}: expected {Show(expected)}, got {Show(actual)}");
                break;
            default:
                Assert.True(expected.Equals(actual), $"{where}: expected {Show(expected)}, got {Show(actual)}");
                break;
        }
    }

    public static void SameRows(IReadOnlyList<object?[]> expected, IReadOnlyList<object?[]> actual, IReadOnlyList<string> columns)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var r = 0; r < expected.Count; r++)
        {
            for (var c = 0; c < columns.Count; c++)
            {
                Same(expected[r][c], actual[r][c], $"row {r}, column '{columns[c]}'");
            }
        }
    }

    public static string Show(object? value) => value switch
    {
        null => "null",
        object?[] list => "[" + string.Join(", ", list.Select(Show)) + "]",
        byte[] bytes => "0x" + Convert.ToHexString(bytes),
        DateTime t => $"{t:O} ({t.Kind})",
        IFormattable f => $"{f.ToString(null, CultureInfo.InvariantCulture)} ({value.GetType().Name})",
        _ => $"{value} ({value.GetType().Name})",
    };
}
