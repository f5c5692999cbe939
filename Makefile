# Each target is one step a newcomer can read. `make run` and `make test` are all a fresh clone needs.
SLN := Seldon.Batch.Dataflow.sln
FORMAT_EXCLUDE := --exclude '**/obj/**' '**/bin/**'
CONFIG := Release
export DOTNET_CLI_TELEMETRY_OPTOUT := 1
export DOTNET_NOLOGO := 1

.PHONY: build test test-unit format format-check run serve pack publish bench microbench clean

build:            ## compile the library, the executable and the tests
	dotnet build $(SLN) -c $(CONFIG)

# The four test assemblies run at once (-m:4; by default dotnet test runs as many as there are cores, and on two the
# packaging tests started only when the CLI's ended): their tests mostly wait on servers and child processes.
TEST_ASSEMBLIES_AT_ONCE := -m:4

# The executable's tests start it over a hundred times: they run out/publish's native binary (`make publish`, as CI
# does before `make test`) when it is newer than every source it is built from, and the build's JIT program otherwise,
# so an edit is always what is tested; publishing takes minutes, so `make test` does not do it. The line
# "executable under test:" after the run says which ran, and why (deploy/skipped-tests.sh prints it).

test: build       ## the whole test suite (unit, integration over real sockets, the real executable, tables checked by DuckDB); results in out/test-results/*.trx, then each skipped test and why
	rm -rf out/test-results
	moto="$$(bash deploy/moto.sh)" && duckdb="$$(bash deploy/duckdb.sh)" && PATH="$$moto:$$PATH" SELDON_DUCKDB="$$duckdb" dotnet test $(SLN) -c $(CONFIG) --no-build $(TEST_ASSEMBLIES_AT_ONCE) --logger trx --results-directory out/test-results; \
	status=$$?; bash deploy/skipped-tests.sh out/test-results; exit $$status

test-unit: build  ## the unit tests of every test project, in seconds: none that starts a server, moto_server or a process ([Trait("Category", "Integration")] marks those)
	dotnet test $(SLN) -c $(CONFIG) --no-build $(TEST_ASSEMBLIES_AT_ONCE) --filter "Category!=Integration"

format:           ## lay out the code's whitespace as .editorconfig says (style and analyzer rules are build errors already)
	dotnet format whitespace --folder $(FORMAT_EXCLUDE)

format-check:     ## fail, listing each place, where the whitespace is not as .editorconfig says (CI runs it)
	dotnet format whitespace --folder --verify-no-changes $(FORMAT_EXCLUDE)

run: build        ## the sample batch on the built-in model (or on $$SELDON_BATCH_HOST when set)
	bash samples/run.sh

serve: build      ## the built-in demo model on 127.0.0.1:9000 (REST) and :9500 (gRPC) until Ctrl-C
	dotnet Seldon.Batch.Dataflow.Cli/bin/$(CONFIG)/net10.0/seldon-batch-processor.dll serve

pack:             ## the library's NuGet package and the dotnet tool, in out/packages/ (VERSION=1.2.3 sets the version)
	bash deploy/pack.sh

publish:          ## the native seldon-batch-processor for linux-x64 (Native AOT; installs clang if missing), in out/publish/
	bash deploy/publish.sh

bench:            ## the native binary's throughput, start-up and memory against nginx's fixed answers, next to wrk's ceiling (installs nginx-light, wrk)
	bash Seldon.Batch.Dataflow.Benchmarks/bench.sh

microbench:       ## BenchmarkDotNet: encode, split and one request per client (several minutes; ARGS="--filter *Codec* --job short")
	dotnet run -c $(CONFIG) --project Seldon.Batch.Dataflow.Benchmarks -- $(or $(ARGS),--filter '*')

clean:
	dotnet clean $(SLN) -c $(CONFIG); rm -rf out
