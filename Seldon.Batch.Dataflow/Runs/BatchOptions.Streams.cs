namespace Seldon.Batch.Dataflow;

// The rules of a run that reads the standard input or writes the standard output (InputDataPath or OutputDataPath "-"):
// a stream is read or written once, as it comes, so whatever needs to read the input again, or to keep or find an output
// next to it, is refused before anything is read or sent.
public sealed partial record BatchOptions
{
    private void ValidateStreams()
    {
        var fromStream = StorageLocation.IsStreamName(InputDataPath);
        var toStream = StorageLocation.IsStreamName(OutputDataPath);
        if (!fromStream && !toStream)
        {
            return;
        }

        // The stream a refusal is about, and the setting that made it one.
        var (stream, what) = fromStream
            ? (nameof(InputDataPath), "the standard input is read once, so the lines an earlier run answered cannot be skipped")
            : (nameof(OutputDataPath), "the standard output keeps nothing to continue after");
        if (Resume)
        {
            Refuse(nameof(Resume), stream, name => $"{name(nameof(Resume))}: a stream cannot be resumed: {name(stream)} - {what}; give {(fromStream ? "the input" : "the output")} as a file to resume");
        }

        if (RetryFailed)
        {
            Refuse(nameof(RetryFailed), stream, name =>
                $"{name(nameof(RetryFailed))}: a stream cannot be retried ({name(stream)} -): it rewrites the error records of an output file in place and reads the input again for their lines; give the input and the output as files");
        }

        if (Restart && toStream)
        {
            Refuse(nameof(Restart), nameof(OutputDataPath), name =>
                $"{name(nameof(Restart))}: a stream cannot be restarted: {name(nameof(OutputDataPath))} - writes the standard output, which keeps no partial output to discard; every run to it starts from the first line");
        }

        if (ShardCount > 1)
        {
            Refuse(nameof(ShardCount), stream, name =>
                $"{name(nameof(ShardCount))} {ShardCount}: a stream cannot be sharded ({name(stream)} -): each shard reads its own range of the input and writes a part next to the output; give the input and the output as files or s3:// objects");
        }

        if (fromStream && ResolvedInputFormat == TableFormat.Parquet)
        {
            Refuse(nameof(InputFormat), nameof(InputDataPath), name =>
                $"{name(nameof(InputFormat))} parquet: a Parquet input is read in any order (its footer comes last), which the standard input ({name(nameof(InputDataPath))} -) cannot be: give the file's path, or send CSV or JSON lines");
        }

        var output = TableFormats.Resolve(OutputFormat, OutputDataPath);
        if (toStream && output.IsTable())
        {
            Refuse(nameof(OutputFormat), nameof(OutputDataPath), name =>
                $"{name(nameof(OutputFormat))} {FormatName(output)}: a table output is written once its records are complete, which the standard output ({name(nameof(OutputDataPath))} -) cannot wait for: leave {name(nameof(OutputFormat))} jsonl to stream the lines, or write the table to a file");
        }

        if (fromStream && output.IsTable())
        {
            Refuse(nameof(OutputFormat), nameof(InputDataPath), name =>
                $"{name(nameof(OutputFormat))} {FormatName(output)}: a table output copies the input's columns, reading the input a second time, and the standard input ({name(nameof(InputDataPath))} -) is read once: give the input as a file, or write JSON lines");
        }
    }

    private static void Refuse(string property, string stream, Func<Func<string, string>, string> message) =>
        throw InvalidBatchOptionsException.About([property, stream], message);
}
