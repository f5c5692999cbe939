using Google.Protobuf;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using Seldon.Protos;

namespace Seldon.Batch.Dataflow.Server;

/// <summary>
/// <c>seldon.protos.Seldon</c> in fixed-answer mode. Predict takes and returns the message bytes as they are: the rows
/// are counted on the wire and the answer's bytes are made once per row count, as the REST side counts rows with a
/// reader and keeps the answer's JSON. Parsing every request into message objects and writing the answer each time made
/// this server a quarter more expensive per row than the REST one, and the server shares the machine with the client
/// it measures. Authorization and fault injection are the same as in <see cref="SeldonGrpcService"/>; feedback goes to it.
/// </summary>
internal sealed class FixedAnswerGrpcService(SeldonGrpcService inner, FixedAnswers answers)
{
    private const string ServiceName = "seldon.protos.Seldon";

    public Task<byte[]> Predict(byte[] request, ServerCallContext context) => inner.CountedAsync(context, async () =>
    {
        await inner.AdmitAsync(SeldonMethod.Predict, context);
        return answers.AnswerWire(request);
    });

    public Task<SeldonMessage> SendFeedback(Feedback request, ServerCallContext context) => inner.SendFeedback(request, context);

    /// <summary>Declares the two methods to ASP.NET Core's gRPC (in place of generated bindings).</summary>
    internal sealed class MethodProvider : IServiceMethodProvider<FixedAnswerGrpcService>
    {
        private static readonly Marshaller<byte[]> Bytes = Marshallers.Create(static b => b, static b => b);

        private static readonly Method<byte[], byte[]> PredictMethod =
            new(MethodType.Unary, ServiceName, "Predict", Bytes, Bytes);

        private static readonly Method<Feedback, SeldonMessage> FeedbackMethod = new(
            MethodType.Unary,
            ServiceName,
            "SendFeedback",
            Marshallers.Create(static (Feedback m) => m.ToByteArray(), Feedback.Parser.ParseFrom),
            Marshallers.Create(static (SeldonMessage m) => m.ToByteArray(), SeldonMessage.Parser.ParseFrom));

        public void OnServiceMethodDiscovery(ServiceMethodProviderContext<FixedAnswerGrpcService> context)
        {
            context.AddUnaryMethod(PredictMethod, [], static (service, request, call) => service.Predict(request, call));
            context.AddUnaryMethod(FeedbackMethod, [], static (service, request, call) => service.SendFeedback(request, call));
        }
    }
}
