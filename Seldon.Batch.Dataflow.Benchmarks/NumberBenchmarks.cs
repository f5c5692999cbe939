using System.Globalization;
using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Benchmarks;

/// <summary>The gRPC edges' numbers: the 128 numbers of a 32-line request read as doubles, by the JSON reader's own
/// conversion and by <see cref="ProtoJsonNumbers"/> (the same doubles).</summary>
[MemoryDiagnoser]
public class NumberBenchmarks
{
    private byte[] _json = [];

    /// <summary><c>integers</c> as `make bench` writes them (0–99), or <c>decimals</c> of one to four places.</summary>
    [Params("integers", "decimals")]
    public string Numbers { get; set; } = "integers";

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(7);
        var numbers = Enumerable.Range(0, 128).Select(_ => Numbers == "integers"
            ? random.Next(100).ToString(CultureInfo.InvariantCulture)
            : Math.Round((random.NextDouble() * 20) - 10, random.Next(1, 5)).ToString("R", CultureInfo.InvariantCulture));
        _json = Encoding.UTF8.GetBytes("[" + string.Join(", ", numbers) + "]");
    }

    [Benchmark(Baseline = true)]
    public double Reader()
    {
        var reader = new Utf8JsonReader(_json);
        var sum = 0.0;
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.Number && reader.TryGetDouble(out var value))
        {
            sum += value;
        }

        return sum;
    }

    [Benchmark]
    public double ShortWay()
    {
        var reader = new Utf8JsonReader(_json);
        var sum = 0.0;
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.Number && ProtoJsonNumbers.TryGetDouble(ref reader, out var value))
        {
            sum += value;
        }

        return sum;
    }
}
