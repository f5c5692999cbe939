using BenchmarkDotNet.Running;

// `make microbench` runs every benchmark; arguments go to BenchmarkDotNet (e.g. --filter '*Split*' --job short).
BenchmarkSwitcher.FromAssembly(typeof(Seldon.Batch.Dataflow.Benchmarks.CodecBenchmarks).Assembly).Run(args);
