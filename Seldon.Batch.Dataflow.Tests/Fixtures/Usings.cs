// The fixtures (the built-in server, the run harness, the recording logger) serve every test folder.
global using Seldon.Batch.Dataflow.Tests.Fixtures;
