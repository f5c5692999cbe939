using System.Runtime.InteropServices;
using System.Text.Json;

namespace Seldon.Batch.Dataflow;

// The templates of the last split answer, remembered for the answers after it of the same shape.
internal sealed partial class InferenceResponseSplitter
{
    /// <summary>The last templates recorded, with the bytes of their answer but its holes; read and replaced by the threads
    /// that split answers at once (each reads a whole one: it is never changed).</summary>
    private RememberedTemplates? _remembered;

    /// <summary>The same for answers that are not split (one line each).</summary>
    private RememberedTemplates? _rememberedWhole;

    /// <summary>A split answer's bytes but those of its <c>id</c>'s value and of its outputs' <c>data</c> arrays, and the
    /// templates of its lines. The templates are made from those bytes alone: the answer's <c>id</c> is in no line, the
    /// values are the templates' holes, and the ids and tags they hold are the lines' own (holes too) or the splitter's.
    /// An answer whose bytes are the same around the same holes, byte for byte, parses to the same fields in the same
    /// order (the same text up to each hole puts the same part of the answer there), so it has the same templates.</summary>
    private sealed partial class RememberedTemplates
    {
        /// <summary>The longest answer kept, without its holes: answers with large fields besides their data are not
        /// compared.</summary>
        private const int Longest = 4096;

        /// <summary>The most holes looked for: an answer with more outputs is not remembered.</summary>
        private const int MostHoles = 16;

        // The bytes between the holes, one after another, and where each of those runs ends in them.
        private readonly byte[] _bytes;
        private readonly int[] _ends;

        // What each hole holds: the number of the output whose data it is, or -1 for the answer's id.
        private readonly int[] _holeOutputs;

        // The shape of each output, in the answer's order.
        private readonly long[][] _shapes;

        private RememberedTemplates(byte[] bytes, int[] ends, int[] holeOutputs, long[][] shapes, LineTemplate? plain, bool plainTried, LineTemplate? withId, bool withIdTried)
        {
            _bytes = bytes;
            _ends = ends;
            _holeOutputs = holeOutputs;
            _shapes = shapes;
            (Plain, PlainTried, WithId, WithIdTried) = (plain, plainTried, withId, withIdTried);
        }

        /// <summary>The template of lines without an id, when <see cref="PlainTried"/> (null when they have none).</summary>
        public LineTemplate? Plain { get; }

        public bool PlainTried { get; }

        /// <summary>The template of lines with an id, when <see cref="WithIdTried"/> (null when they have none).</summary>
        public LineTemplate? WithId { get; }

        public bool WithIdTried { get; }

        /// <summary>The same answer's bytes with the templates an answer of them has recorded since.</summary>
        public RememberedTemplates With(LineTemplate? plain, bool plainTried, LineTemplate? withId, bool withIdTried) =>
            new(_bytes, _ends, _holeOutputs, _shapes, plain, plainTried, withId, withIdTried);

        /// <summary>The answer's bytes but its holes with its templates; null when it has too many outputs or is too long.</summary>
        public static RememberedTemplates? Of(
            JsonElement response, List<AnswerTensor> outputs, LineTemplate? plain, bool plainTried, LineTemplate? withId, bool withIdTried)
        {
            var all = JsonMarshal.GetRawUtf8Value(response);
            Span<(int Start, int End, int Output)> holes = stackalloc (int, int, int)[MostHoles];
            var count = Holes(all, response, outputs, holes);
            if (count < 0)
            {
                return null;
            }

            var length = all.Length;
            foreach (var (start, end, _) in holes[..count])
            {
                length -= end - start;
            }

            if (length > Longest)
            {
                return null;
            }

            var bytes = new byte[length];
            var ends = new int[count + 1];
            var holeOutputs = new int[count];
            var (at, written) = (0, 0);
            for (var k = 0; k <= count; k++)
            {
                var run = all[at..(k < count ? holes[k].Start : all.Length)];
                run.CopyTo(bytes.AsSpan(written));
                written += run.Length;
                ends[k] = written;
                at = k < count ? holes[k].End : all.Length;
                if (k < count)
                {
                    holeOutputs[k] = holes[k].Output;
                }
            }

            return new RememberedTemplates(bytes, ends, holeOutputs, [.. outputs.Select(o => o.Shape)], plain, plainTried, withId, withIdTried);
        }

        /// <summary>Whether <paramref name="response"/>'s bytes around its holes are this answer's.</summary>
        public bool Fits(JsonElement response, List<AnswerTensor> outputs)
        {
            var all = JsonMarshal.GetRawUtf8Value(response);
            Span<(int Start, int End, int Output)> holes = stackalloc (int, int, int)[MostHoles];
            var count = Holes(all, response, outputs, holes);
            if (count != _ends.Length - 1)
            {
                return false;
            }

            var (at, from) = (0, 0);
            for (var k = 0; k <= count; k++)
            {
                var run = all[at..(k < count ? holes[k].Start : all.Length)];
                if (!run.SequenceEqual(_bytes.AsSpan(from, _ends[k] - from)))
                {
                    return false;
                }

                from = _ends[k];
                at = k < count ? holes[k].End : all.Length;
            }

            return true;
        }

        /// <summary>Puts into <paramref name="holes"/> where the answer's <c>id</c>'s value and each output's <c>data</c>
        /// array lie in <paramref name="all"/>, its bytes, in their order there; returns how many, or -1 when they do not fit.</summary>
        private static int Holes(ReadOnlySpan<byte> all, JsonElement response, List<AnswerTensor> outputs, Span<(int Start, int End, int Output)> holes)
        {
            if (outputs.Count >= holes.Length)
            {
                return -1;
            }

            var count = 0;
            for (var k = 0; k < outputs.Count; k++)
            {
                if (outputs[k].Data.ValueKind == JsonValueKind.Array && !Add(all, outputs[k].Data, k, holes, ref count))
                {
                    return -1;
                }
            }

            if (response.TryGetProperty("id"u8, out var id) && !Add(all, id, -1, holes, ref count))
            {
                return -1;
            }

            // The outputs' data come in the order of the outputs; the id, before or after them, is put in its place.
            for (var k = count - 1; k > 0 && holes[k].Start < holes[k - 1].Start; k--)
            {
                (holes[k], holes[k - 1]) = (holes[k - 1], holes[k]);
            }

            return count;
        }

        private static bool Add(ReadOnlySpan<byte> all, JsonElement part, int output, Span<(int Start, int End, int Output)> holes, ref int count)
        {
            // Both lie in the document's one buffer.
            var raw = JsonMarshal.GetRawUtf8Value(part);
            if (!all.Overlaps(raw, out var offset) || offset < 0 || offset + raw.Length > all.Length)
            {
                return false;
            }

            holes[count++] = (offset, offset + raw.Length, output);
            return true;
        }
    }
}
