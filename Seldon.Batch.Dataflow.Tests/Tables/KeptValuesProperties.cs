using FsCheck;
using FsCheck.Fluent;

namespace Seldon.Batch.Dataflow.Tests.Tables;

/// <summary>Property: <see cref="KeptValues"/>, which holds a row's values in typed arrays reused as a ring (numbers
/// unboxed) rather than a copy of each row in a queue, hands back what a queue of copied rows would (the reference, the
/// class before it, kept here): the same rows, in order, each value of the same type and value (a double to its bits:
/// -0.0, NaN's payload), the same refusals of a row asked for out of turn, none after it is closed; over random
/// sequences of adds and takes of random rows (every value type a table reader gives, nulls), rings grown many times
/// over, and one producer and one consumer on two threads at once.</summary>
public sealed class KeptValuesProperties
{
    public sealed record Case(int Seed, int Width, int Offset, int Steps, int TakePercent, int SkipPercent, int ClosePercent)
    {
        public override string ToString() =>
            $"seed {Seed}, {Width} columns from {Offset}, {Steps} steps, {TakePercent} % takes, {SkipPercent} % out of turn, close at {ClosePercent} %";
    }

    private static readonly Gen<Case> Cases =
        from seed in Gen.Choose(0, int.MaxValue)
        from width in Gen.Choose(0, 6)
        from offset in Gen.Choose(0, 3)
        from steps in Gen.Choose(0, 6000)
        from takes in Gen.Elements(5, 30, 50, 70)
        from skips in Gen.Elements(0, 0, 1, 10)
        from close in Gen.Elements(200, 200, 50, 90)
        select new Case(seed, width, offset, steps, takes, skips, close);

    [Fact]
    public void Rows_taken_are_the_rows_a_queue_of_copies_hands_back()
    {
        var property = Prop.ForAll(Cases.ToArbitrary(), (Case c) => CheckCase(c));
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300).WithQuietOnSuccess(true), property);
    }

    [Fact]
    public async Task A_reader_thread_adds_while_a_table_thread_takes()
    {
        const int rows = 200_000;
        var columns = new[] { 0, 1, 2, 3 };
        var kept = new KeptValues(columns);
        var produce = Task.Run(() =>
        {
            var row = new object?[5];
            for (long i = 0; i < rows; i++)
            {
                row[1] = i;
                row[2] = i * 0.5;
                row[3] = i % 7 == 0 ? null : $"s{i}";
                row[4] = (int)i;
                kept.Add(i, row, 1);
            }
        });
        var consume = Task.Run(() =>
        {
            var values = new object?[4];
            for (long i = 0; i < rows;)
            {
                if (kept.IsEmpty)
                {
                    Thread.SpinWait(10);
                    continue;
                }

                Assert.True(kept.TryTake(i, values));
                Assert.Equal(new object?[] { i, i * 0.5, i % 7 == 0 ? null : $"s{i}", (int)i }, values);
                i++;
            }
        });
        await Task.WhenAll(produce, consume);
        Assert.True(kept.IsEmpty);
    }

    private static bool CheckCase(Case c)
    {
        var random = new Random(c.Seed);
        var columns = Enumerable.Range(0, c.Width).ToArray();
        var kept = new KeptValues(columns);
        var reference = new QueueOfCopies(columns.Length);
        var row = new object?[c.Offset + c.Width + 1];
        var taken = new object?[c.Width];
        long added = 0;
        long next = 0;
        for (var step = 0; step < c.Steps; step++)
        {
            if (step == c.Steps * c.ClosePercent / 100)
            {
                kept.Close();
                reference.Close();
            }

            if (random.Next(100) >= c.TakePercent)
            {
                for (var i = 0; i < row.Length; i++)
                {
                    row[i] = Value(random);
                }

                kept.Add(added, row, c.Offset);
                reference.Add(added, row, c.Offset);
                added++;
                continue;
            }

            // Now and then a row asked for out of turn, as when the input and the records do not agree.
            var index = random.Next(100) < c.SkipPercent ? next + 1 : next;
            var took = kept.TryTake(index, taken);
            Assert.Equal(reference.TryTake(index, out var expected), took);
            Assert.Equal(reference.IsEmpty, kept.IsEmpty);
            if (took)
            {
                for (var i = 0; i < c.Width; i++)
                {
                    Same(expected[i], taken[i]);
                }
            }

            next = took ? next + 1 : index + 1;
        }

        return true;
    }

    private static void Same(object? expected, object? actual)
    {
        Assert.Equal(expected?.GetType(), actual?.GetType());
        if (expected is double d)
        {
            Assert.Equal(BitConverter.DoubleToInt64Bits(d), BitConverter.DoubleToInt64Bits((double)actual!));
        }
        else
        {
            Assert.Equal(expected, actual);
        }
    }

    private static object? Value(Random r) => r.Next(14) switch
    {
        0 => null,
        1 => r.NextInt64(long.MinValue, long.MaxValue),
        2 => (long)r.Next(-3, 3),
        3 => r.NextDouble() * r.Next(-1000, 1000),
        4 => -0.0,
        5 => BitConverter.Int64BitsToDouble(0x7FF8_0000_0000_0000L + r.Next(1, 1000)),
        6 => double.NegativeInfinity,
        7 => r.Next(),
        8 => (float)r.NextDouble(),
        9 => $"text {r.Next()}",
        10 => r.Next(2) == 0,
        11 => new decimal(r.NextDouble()),
        12 => new DateTime(2024, 1, 2).AddTicks(r.NextInt64(0, TimeSpan.TicksPerDay)),
        _ => new byte[] { (byte)r.Next(256) },
    };

    /// <summary>The class before: each row's values copied into an array of its own, queued with its index.</summary>
    private sealed class QueueOfCopies(int width)
    {
        private readonly Queue<(long Index, object?[] Values)> _rows = new();
        private bool _closed;

        public bool IsEmpty => _rows.Count == 0;

        public void Add(long index, object?[] row, int offset)
        {
            if (_closed)
            {
                return;
            }

            var values = new object?[width];
            Array.Copy(row, offset, values, 0, width);
            _rows.Enqueue((index, values));
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

        public void Close()
        {
            _closed = true;
            _rows.Clear();
        }
    }
}
