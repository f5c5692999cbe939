using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Seldon.Batch.Dataflow;

/// <summary>Batch size 1, an ndarray line of numbers: its request written as bytes, without <see cref="Utf8JsonWriter"/>.
/// The request is <c>{"data":{"ndarray":[</c>, the line's rows as the scan writes them (compact, numbers as written), a
/// comma between two, then <c>]},"meta":{"tags":{...}}}</c> with the batch tags: the bytes
/// <see cref="EncodeNdarray"/> writes through the writer, which cost most of the one-line encode (a property test holds
/// the two together). A line the scan declines, a batch id the writer cannot write, or an instance id that needs
/// escaping takes the writer's path.</summary>
internal sealed partial class MicroBatchEncoder
{
    private static ReadOnlySpan<byte> NdarrayHead => "{\"data\":{\"ndarray\":["u8;

    private static ReadOnlySpan<byte> TagsHead => "]},\"meta\":{\"tags\":{\"batch_id\":"u8;

    private static ReadOnlySpan<byte> IndexName => ",\"batch_index\":"u8;

    private static ReadOnlySpan<byte> InstanceIdName => ",\"batch_instance_id\":\""u8;

    private static ReadOnlySpan<byte> TagsTail => "\"}}}"u8;

    /// <summary>The batch id as the writer writes a string value (quoted, escaped as <see cref="SeldonJson.WriterOptions"/>
    /// says), made once; empty when the writer refuses it (a lone surrogate), and the writer's path then reports it.</summary>
    private byte[]? _batchIdJson;

    /// <summary>Whether one-line ndarray requests are written as bytes (tests turn it off to compare with the writer's path).</summary>
    internal bool WritesOneLineBytes { get; init; } = true;

    /// <summary>The request of a one-line ndarray <paramref name="line"/> as bytes; null when it must take the writer's path
    /// (<paramref name="scanned"/> then says whether the scan was tried and declined, so that path need not scan again).</summary>
    private byte[]? TryEncodeNdarrayBytes(in InputLine line, BatchMember member, out bool scanned)
    {
        scanned = false;
        var batchId = _batchIdJson ??= QuotedJson(_settings.BatchId);
        var id = member.InstanceId;
        if (batchId.Length == 0 || !SeldonJson.IsPlain(id))
        {
            return null;
        }

        scanned = true;
        var rows = ScannedRows.Start();
        try
        {
            return rows.TryAdd(line, out var scannedLine) ? Render(rows, scannedLine, batchId, member.Index, id) : null;
        }
        finally
        {
            rows.Finished();
        }
    }

    /// <summary>Whether the one-line request of <paramref name="line"/> with instance id <paramref name="id"/> is written as
    /// bytes (for the tests: the request is the same either way).</summary>
    internal bool TakesOneLineBytes(InputLine line, string id) =>
        WritesOneLineBytes && _settings is { DataType: DataType.Data, PayloadType: PayloadType.Ndarray }
        && line.Failure is null && !line.IsBlank && TryEncodeNdarrayBytes(line, new BatchMember(line.Index, id), out _) is not null;

    private static byte[] Render(ScannedRows rows, in ScannedLine line, byte[] batchId, long index, string id)
    {
        Span<byte> digits = stackalloc byte[20];
        index.TryFormat(digits, out var digitCount, default, CultureInfo.InvariantCulture);
        var items = rows.ItemsLength(line);
        var length = NdarrayHead.Length + items + TagsHead.Length + batchId.Length + IndexName.Length + digitCount
            + InstanceIdName.Length + id.Length + TagsTail.Length;
        var body = GC.AllocateUninitializedArray<byte>(length);
        var at = Put(body, 0, NdarrayHead);
        at += rows.CopyItems(line, body.AsSpan(at));
        at = Put(body, at, TagsHead);
        at = Put(body, at, batchId);
        at = Put(body, at, IndexName);
        at = Put(body, at, digits[..digitCount]);
        at = Put(body, at, InstanceIdName);
        at += Encoding.ASCII.GetBytes(id, body.AsSpan(at));
        Put(body, at, TagsTail);
        return body;
    }

    private static int Put(byte[] body, int at, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(body.AsSpan(at));
        return at + bytes.Length;
    }

    /// <summary><paramref name="value"/> as <see cref="Utf8JsonWriter.WriteStringValue(string)"/> writes it with the
    /// encoder's options; empty when the writer refuses it.</summary>
    private static byte[] QuotedJson(string value)
    {
        try
        {
            var buffer = new ArrayBufferWriter<byte>();
            using (var w = new Utf8JsonWriter(buffer, SeldonJson.WriterOptions))
            {
                w.WriteStringValue(value);
            }

            return buffer.WrittenSpan.ToArray();
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            return [];
        }
    }
}
