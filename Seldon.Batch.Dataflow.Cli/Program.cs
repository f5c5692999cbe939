return await Seldon.Batch.Dataflow.Cli.CliApplication.RunAsync(args);
