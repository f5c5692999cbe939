namespace Seldon.Batch.Dataflow;

/// <summary>Reads the exceptions a failed connection leaves behind.</summary>
internal static class ConnectionFailure
{
    /// <summary>Whether the TLS handshake failed (a certificate refused, TLS spoken to a plain port…): waiting will not fix it.</summary>
    public static bool IsTls(Exception? error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            if (e is System.Security.Authentication.AuthenticationException)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether the server answered an HTTP/1.1 request with something that is not HTTP/1.1 at all (an HTTP/2-only
    /// gRPC port's frames, a TLS port's handshake): waiting will not fix it.</summary>
    public static bool IsNotHttp11(Exception? error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            if (e is HttpRequestException { HttpRequestError: HttpRequestError.InvalidResponse })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The likely cause of a REST connection failure that waiting will not fix, naming the settings that make
    /// it; null for a failure that may pass (refused, reset, a name that does not resolve).</summary>
    public static string? Explain(Exception? error) =>
        IsTls(error) ? $" (is the TLS setting right: {SettingNames.UseSsl}, {SettingNames.SslVerify}?)"
        : IsNotHttp11(error) ? $" (the port does not answer HTTP/1.1: is it a gRPC port ({SettingNames.Transport}), or a TLS one ({SettingNames.UseSsl})?)"
        : null;
}
