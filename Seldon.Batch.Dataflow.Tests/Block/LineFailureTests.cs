using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Block;

/// <summary>Typed line failures: the kind each failure of a request gives its lines, the category a run counts them by,
/// and the kind of lines never sent, set where the error record is written.</summary>
public sealed class LineFailureTests
{
    [Theory]
    [InlineData("invalid JSON: 'x' is an invalid start of a value", "invalid JSON")]
    [InlineData("HTTP 503 Service Unavailable from http://h/api/v1.0/predictions: upstream", "HTTP 503 Service Unavailable")]
    [InlineData("gRPC Unavailable from http://h: no route", "gRPC Unavailable")]
    [InlineData("no answer from http://h/api/v1.0/predictions within 60 s", "no answer")]
    [InlineData("MICROSERVICE_INTERNAL_ERROR: division by zero", "MICROSERVICE_INTERNAL_ERROR")]
    [InlineData("the model reported a failure without a reason", "the model reported a failure without a reason")]
    public void The_category_is_the_start_of_the_reason(string reason, string category)
    {
        Assert.Equal(category, BatchModelFactory.LineFailure(reason: reason).Category);
    }

    [Fact]
    public void A_long_reason_without_a_separator_is_cut_to_its_first_80_characters()
    {
        var reason = new string('x', 200);

        Assert.Equal(new string('x', 80), BatchModelFactory.LineFailure(reason: reason).Category);
    }

    public static TheoryData<string, LineFailureKind, int> Failures => new()
    {
        { "refused", LineFailureKind.Refused, 400 },
        { "too many requests", LineFailureKind.RetriesExhausted, 429 },
        { "no answer", LineFailureKind.TimedOut, 0 },
        { "deadline", LineFailureKind.TimedOut, 4 },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public void A_failed_request_gives_its_lines_the_kind_of_its_failure(string failure, LineFailureKind kind, int code)
    {
        var response = failure switch
        {
            "refused" => PredictionResponse.Failed(PredictionFailureKind.Line, 400, "HTTP 400 Bad Request from http://h: no"),
            "too many requests" => PredictionResponse.Failed(PredictionFailureKind.Transient, 429, "HTTP 429 Too Many Requests from http://h"),
            "no answer" => PredictionResponse.Unanswered(PredictionFailureKind.Transient, 0, "no answer from http://h within 1 s"),
            _ => PredictionResponse.Unanswered(PredictionFailureKind.Transient, 4, "gRPC DeadlineExceeded from http://h: slow"),
        };

        var lines = SplitStage.FailureOf(response, settingName: null);

        Assert.Equal(new RequestFailure(kind, code, response.Failure!.Detail), lines);
    }

    [Fact]
    public void An_answer_gives_no_failure_and_a_reason_names_settings_in_the_front_end_s_words()
    {
        var wrongHost = PredictionResponse.Failed(PredictionFailureKind.Line, 400, "HTTP 400 from http://h: is EndpointSettings.Host right?");

        Assert.Null(SplitStage.FailureOf(PredictionResponse.Success("{}", 200), settingName: null));
        Assert.Null(SplitStage.FailureOf(null, settingName: null));
        Assert.Equal("HTTP 400 from http://h: is --host right?", SplitStage.FailureOf(wrongHost, _ => "--host")!.Value.Reason);
    }

    [Fact]
    public void Lines_the_block_could_not_encode_were_not_sent_rather_than_invalid_in_both_protocols()
    {
        InputLine[] lines = [new(0, "[[1]]"), new(1, "oops")];
        var reason = "the lines could not be encoded: InvalidOperationException: defect";
        var seldon = new SeldonCodec(new EncoderSettings(DataType.Data, PayloadType.Ndarray, PredictionMethod.Predict, "run-1", 2));
        var openInference = new OpenInferenceCodec(new OpenInferenceSettings(DataType.Data, "run-1", 2, "input-0", null));

        foreach (IBatchCodec codec in new IBatchCodec[] { seldon, openInference })
        {
            var results = codec.Compose(codec.Unsendable(lines, reason), null, null);

            Assert.Equal(
                [BatchModelFactory.LineFailure(0, LineFailureKind.NotSent, 400, reason), BatchModelFactory.LineFailure(1, LineFailureKind.NotSent, 400, reason)],
                results.Select(r => r.Failure));
            Assert.All(results, r => Assert.True(r.Prediction.IsEmpty));
        }
    }

    [Fact]
    public void Lines_the_encoder_judged_are_invalid_in_both_protocols()
    {
        InputLine[] lines = [new(5, "[[1]]"), new(6, "oops")];
        var seldon = new SeldonCodec(new EncoderSettings(DataType.Data, PayloadType.Ndarray, PredictionMethod.Predict, "run-1", 2));
        var openInference = new OpenInferenceCodec(new OpenInferenceSettings(DataType.Data, "run-1", 2, "input-0", null));

        foreach (IBatchCodec codec in new IBatchCodec[] { seldon, openInference })
        {
            var bad = codec.Encode(lines).SelectMany(b => codec.Compose(b, null, new RequestFailure(LineFailureKind.Refused, 400, "HTTP 400"))).Last();

            Assert.Equal((6L, LineFailureKind.InvalidLine, 400, "invalid JSON"), (bad.Failure!.Index, bad.Failure.Kind, bad.Failure.Status, bad.Failure.Category));
        }
    }

    [Fact]
    public void The_model_factory_makes_results_with_defaults_for_what_is_not_given()
    {
        var prediction = BatchModelFactory.InstanceResult(3, """{"data":{"ndarray":[[2]]}}""", prediction: """{"ndarray":[[2]]}"""u8.ToArray());
        var failed = BatchModelFactory.InstanceResult(4, "{}", BatchModelFactory.LineFailure(4, LineFailureKind.TimedOut, 0, "no answer from h within 1 s"));

        Assert.True(prediction.Succeeded);
        Assert.Equal("""{"ndarray":[[2]]}""", System.Text.Encoding.UTF8.GetString(prediction.Prediction.Span));
        Assert.False(failed.Succeeded);
        Assert.Equal("no answer", failed.Failure!.Category);
        Assert.Equal("unknown failure", BatchModelFactory.LineFailure().Reason);
        Assert.Equal("", BatchModelFactory.InstanceResult().Line);
        Assert.Equal(BatchModelFactory.PredictionResult("key", failed), BatchModelFactory.PredictionResult("key", failed));
        Assert.Equal(0.5, BatchModelFactory.RunProgress(10, fraction: 0.5).Fraction);
        Assert.Equal(TimeSpan.Zero, BatchModelFactory.RunProgress(10, fraction: 1).Remaining);
        Assert.False(BatchModelFactory.PredictionFailure(PredictionFailureKind.Outage, reachedServer: false).ReachedServer);
        Assert.True(BatchModelFactory.PredictionResponse("{}", 200).IsSuccess);
    }

    [Fact]
    public void A_summary_made_by_the_factory_prints_as_the_run_s_does()
    {
        var summary = BatchModelFactory.RunSummary(
            instances: 10, succeeded: 9, failed: 1, failuresByKind: new Dictionary<string, long> { ["invalid JSON"] = 1 },
            requests: 10, elapsed: TimeSpan.FromSeconds(2), outputPath: "out.txt");

        Assert.Contains("\"failed_by_reason\": {\n    \"invalid JSON\": 1\n  }", summary.ToJson().ReplaceLineEndings("\n"));
        Assert.Contains("  invalid JSON: 1", summary.ToText());
        Assert.Equal(5, summary.InstancesPerSecond);
        Assert.Empty(BatchModelFactory.RunSummary().FailuresByKind);
    }

    [Fact]
    public void The_one_line_summary_says_what_a_resumed_or_retried_run_kept_so_its_counts_add_up()
    {
        var resumed = BatchModelFactory.RunSummary(instances: 6, resumedLines: 4, succeeded: 10, requests: 6, elapsed: TimeSpan.FromSeconds(1));
        var retried = BatchModelFactory.RunSummary(instances: 3, retriedLines: 3, fixedLines: 2, succeeded: 9, failed: 1, requests: 3);

        Assert.StartsWith("completed: instances: 6, resumed lines: 4, succeeded: 10, failed: 0, requests: 6,", resumed.ToString());
        Assert.StartsWith("completed: instances: 3, retried lines: 3, fixed lines: 2, succeeded: 9, failed: 1,", retried.ToString());
        Assert.StartsWith("completed: instances: 6, succeeded: 10,", (resumed with { ResumedLines = 0 }).ToString());
    }
}
