namespace Seldon.Batch.Dataflow.Transport;

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
}
