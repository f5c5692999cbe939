using FsCheck;
using FsCheck.Fluent;

namespace Seldon.Batch.Dataflow.Tests.Tables;

/// <summary>Property: <see cref="KeptValues"/>, which keeps the rows' values side by side in chunks, answers as a queue
/// of one array per row did (its form before, kept here as the model): over random runs of adding rows (mostly in
/// order, now and then out of it), taking them (the expected index or another), asking whether one is left and closing,
/// across several chunks; and with the adder and the taker on two threads, every row comes out as it went in.</summary>
public sealed class KeptValuesProperties
{
    public enum Op
    {
        Add,
        Take,
        TakeOther,
        IsEmpty,
        Close,
    }

    public sealed record Case(int Seed, int Width, Op[] Ops)
    {
        public override string ToString() => $"seed {Seed}, width {Width}, {Ops.Length} steps";
    }

    private static readonly Gen<Case> Cases =
        from seed in Gen.Choose(0, int.MaxValue)
        from width in Gen.Choose(0, 5)
        from length in Gen.Choose(0, 3 * KeptValues.ChunkRows)
        from ops in Gen.ArrayOf(Gen.Frequency((12, Gen.Constant(Op.Add)), (10, Gen.Constant(Op.Take)), (1, Gen.Constant(Op.TakeOther)), (2, Gen.Constant(Op.IsEmpty)), (1, Gen.Elements(Op.Close, Op.Add))), length)
        select new Case(seed, width, ops);

    [Fact]
    public void Kept_values_answer_as_a_queue_of_rows_did()
    {
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300).WithQuietOnSuccess(true), Prop.ForAll(Cases.ToArbitrary(), (Case c) => Run(c)));
    }

    [Fact]
    public async Task Rows_added_on_one_thread_are_taken_on_another_as_they_went_in()
    {
        const int rows = 20 * KeptValues.ChunkRows + 7;
        var kept = new KeptValues([2, 0]);
        var adder = Task.Run(() =>
        {
            var row = new object?[3];
            for (long i = 0; i < rows; i++)
            {
                row[1] = i;
                row[2] = i % 3 == 0 ? null : $"v{i}";
                kept.Add(i, row, 1);
            }
        });

        var taken = new object?[4];
        for (long i = 0; i < rows;)
        {
            if (kept.IsEmpty)
            {
                Thread.SpinWait(10);
                continue;
            }

            Assert.True(kept.TryTake(i, taken));
            Assert.Equal(i, taken[0]);
            Assert.Equal(i % 3 == 0 ? null : $"v{i}", taken[1]);
            i++;
        }

        await adder;
        Assert.True(kept.IsEmpty);
    }

    private static bool Run(Case c)
    {
        var random = new Random(c.Seed);
        var kept = new KeptValues([.. Enumerable.Range(0, c.Width)]);
        var model = new QueueOfRows(c.Width);
        long nextAdded = 0, nextTaken = 0;
        for (var step = 0; step < c.Ops.Length; step++)
        {
            switch (c.Ops[step])
            {
                case Op.Add:
                    var index = random.Next(50) == 0 ? random.Next(1000) : nextAdded++;
                    var offset = random.Next(3);
                    var row = new object?[offset + c.Width + random.Next(2)];
                    for (var i = 0; i < row.Length; i++)
                    {
                        row[i] = random.Next(5) == 0 ? null : $"{index}:{i}";
                    }

                    kept.Add(index, row, offset);
                    model.Add(index, row, offset);
                    break;
                case Op.Take or Op.TakeOther:
                    var asked = c.Ops[step] == Op.Take ? nextTaken++ : random.Next(1000);
                    var taken = new object?[c.Width + 1];
                    var expected = model.TryTake(asked, out var values);
                    Assert.True(expected == kept.TryTake(asked, taken), $"step {step}: taking row {asked}");
                    Assert.Equal(expected ? values : [], expected ? taken[..c.Width] : []);
                    break;
                case Op.IsEmpty:
                    Assert.True(model.IsEmpty == kept.IsEmpty, $"step {step}: whether a row is left");
                    break;
                default:
                    kept.Close();
                    model.Close();
                    break;
            }
        }

        return true;
    }

    /// <summary>KeptValues as it was (main 24d93cb): a queue of the rows' index and values, one array per row.</summary>
    private sealed class QueueOfRows(int width)
    {
        private readonly Queue<(long Index, object?[] Values)> _rows = new();
        private bool _closed;

        public void Add(long index, object?[] row, int offset)
        {
            if (!_closed)
            {
                _rows.Enqueue((index, row[offset..(offset + width)]));
            }
        }

        public bool TryTake(long index, out object?[] values)
        {
            if (_rows.TryDequeue(out var next) && next.Index == index)
            {
                values = next.Values;
                return true;
            }

            values = [];
            return false;
        }

        public bool IsEmpty => _rows.Count == 0;

        public void Close()
        {
            _closed = true;
            _rows.Clear();
        }
    }
}
