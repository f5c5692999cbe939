using System.Text.Json;

namespace Seldon.Batch.Dataflow;

/// <summary>What <see cref="NdarrayScanner"/> learns of a line read as a tensor (Open Inference data lines): where each
/// value's bytes are, which kinds of values it holds, and whether the nesting is rectangular. Reused by one thread,
/// line after line.</summary>
internal sealed class TensorScan
{
    private readonly List<int> _bounds = [];
    private readonly List<int> _lengths = [];
    private int _valueDepth;
    private int _count;

    /// <summary>Start and end of each value in the scanned bytes, two numbers per value (none for a scan of values
    /// alone, <see cref="NdarrayScanner.TryScanValues"/>).</summary>
    public List<int> Bounds => _bounds;

    /// <summary>The values seen.</summary>
    public int Count => _count;

    /// <summary>Numbers written without fraction or exponent, short enough to be an INT64 however they are signed.</summary>
    public bool HasWholeNumbers { get; private set; }

    /// <summary>Numbers with a fraction or exponent.</summary>
    public bool HasFractions { get; private set; }

    /// <summary>Whole numbers too long to be sure they fit an INT64 (left to the document path's exact check).</summary>
    public bool HasLongWholeNumbers { get; private set; }

    public bool HasBooleans { get; private set; }

    public bool HasNulls { get; private set; }

    /// <summary>Whether every array at a depth had the length of the first there, and values stood at one depth only.</summary>
    public bool IsRectangular { get; private set; }

    /// <summary>The depth of the values (the root's items are at depth 1); 0 when there are none.</summary>
    public int ValueDepth => _valueDepth;

    /// <summary>The deepest array seen (the root is depth 0).</summary>
    public int ArrayDepth { get; private set; }

    /// <summary>The datatype the document path would give these values (inferred when <paramref name="wanted"/> is null,
    /// else <paramref name="wanted"/> if every value fits it); null when that path must decide (or refuse).</summary>
    public string? Datatype(string? wanted, int dimensions)
    {
        if (Count == 0 || !IsRectangular || ValueDepth != dimensions || ArrayDepth != dimensions - 1 || HasNulls || HasLongWholeNumbers)
        {
            return null;
        }

        var numbers = HasWholeNumbers || HasFractions;
        var inferred = HasBooleans ? (numbers ? null : TensorDatatype.Bool)
            : HasFractions ? TensorDatatype.Fp64 : TensorDatatype.Int64;
        return wanted switch
        {
            null => inferred,
            _ when TensorDatatype.IsFloat(wanted) => HasBooleans ? null : wanted,
            TensorDatatype.Int64 or TensorDatatype.Bool => inferred == wanted ? wanted : null,
            _ => null,
        };
    }

    public void Start()
    {
        _bounds.Clear();
        _lengths.Clear();
        _valueDepth = 0;
        _count = 0;
        HasWholeNumbers = HasFractions = HasLongWholeNumbers = HasBooleans = HasNulls = false;
        IsRectangular = true;
        ArrayDepth = 0;
    }

    public void ArrayEnded(int depth, int length)
    {
        ArrayDepth = Math.Max(ArrayDepth, depth);
        while (_lengths.Count <= depth)
        {
            _lengths.Add(-1);
        }

        if (_lengths[depth] < 0)
        {
            _lengths[depth] = length;
        }
        else if (_lengths[depth] != length)
        {
            IsRectangular = false;
        }
    }

    /// <summary>A value at <paramref name="start"/> in the scanned bytes: its bounds kept, and what it is.</summary>
    public void Value(int depth, JsonTokenType kind, int start, ReadOnlySpan<byte> value)
    {
        _bounds.Add(start);
        _bounds.Add(start + value.Length);
        Value(depth, kind, value);
    }

    /// <summary>A value: what it is and where it stands in the nesting (not where it is in the bytes).</summary>
    public void Value(int depth, JsonTokenType kind, ReadOnlySpan<byte> value)
    {
        _count++;
        if (_valueDepth == 0)
        {
            _valueDepth = depth;
        }
        else if (_valueDepth != depth)
        {
            IsRectangular = false;
        }

        switch (kind)
        {
            case JsonTokenType.Number:
                // 18 characters always fit an INT64; longer whole numbers are left to the document path's exact check.
                if (value.IndexOfAny(".eE"u8) >= 0)
                {
                    HasFractions = true;
                }
                else if (value.Length <= 18)
                {
                    HasWholeNumbers = true;
                }
                else
                {
                    HasLongWholeNumbers = true;
                }

                break;
            case JsonTokenType.True or JsonTokenType.False:
                HasBooleans = true;
                break;
            default:
                HasNulls = true;
                break;
        }
    }
}
