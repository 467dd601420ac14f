using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Troupe.Api.Protocol;

namespace Troupe.Shell.Connection;

/// <summary>
/// How the shell speaks to a remote command API (<c>--cluster</c> / <c>TROUPE_CLUSTER</c>) over TLS: the cluster CA
/// from <c>TROUPE_CA</c> (a PEM file) or <c>$TROUPE_HOME/ca.pem</c>, the bearer token from <c>TROUPE_TOKEN</c> (the
/// token itself) or <c>$TROUPE_HOME/token</c>. With no CA the shell speaks plain HTTP, as to a node without
/// config/tls.hocon. The server's certificate must chain to that CA and to nothing else; its host name is not
/// checked (nodes are dialled by address, and the CA is the cluster's own, signing only the cluster's certificate).
/// </summary>
public sealed class RemoteTls
{
    RemoteTls(string? caPath, string? token)
    {
        CaPath = caPath;
        Token = token;
    }

    /// <summary>The CA's PEM file, or null: plain HTTP.</summary>
    public string? CaPath { get; }

    /// <summary>The bearer token, or null: no <c>Authorization</c> header.</summary>
    public string? Token { get; }

    public static RemoteTls From(Func<string, string?> env, string home)
    {
        string? ca = null;
        if (env("TROUPE_CA") is { Length: > 0 } given)
        {
            ca = Path.GetFullPath(given);
            if (!File.Exists(ca)) throw ShellException.User($"TROUPE_CA={given}: no such file");
        }
        else if (File.Exists(Path.Combine(home, "ca.pem"))) ca = Path.Combine(home, "ca.pem");

        string? token = null;
        if (env("TROUPE_TOKEN") is { Length: > 0 } t) token = t.Trim();
        else if (File.Exists(Path.Combine(home, "token")))
        {
            try { token = File.ReadAllText(Path.Combine(home, "token")).Trim(); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw ShellException.User($"{Path.Combine(home, "token")}: {e.Message}"); }
        }
        return new RemoteTls(ca, token is { Length: > 0 } ? token : null);
    }

    /// <summary>The <c>Authorization</c> header's value, or null.</summary>
    public string? Authorization => Token is null ? null : $"Bearer {Token}";

    /// <summary>
    /// TLS over the connected <paramref name="socket"/> to <paramref name="address"/>: a stream when the handshake
    /// succeeded and the server's certificate chains to the CA; otherwise one line for the user (exit 1).
    /// </summary>
    public Stream Wrap(Socket socket, string address, string host, TimeSpan timeout)
    {
        var ca = LoadCa();
        string? refused = null;
        var ssl = new SslStream(new NetworkStream(socket, ownsSocket: false), leaveInnerStreamOpen: false);
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = host,
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    refused = ClusterCa.Refuses(certificate, ca);
                    return refused is null;
                },
            }, cts.Token).GetAwaiter().GetResult();
            return ssl;
        }
        catch (Exception e) when (e is AuthenticationException or IOException or OperationCanceledException)
        {
            ssl.Dispose();
            if (refused is not null)
                throw ShellException.User($"the node at {address} is not the cluster's: its certificate does not chain to {CaPath} ({refused})");
            if (e is OperationCanceledException)
                throw new NoNodeException($"the node at {address} did not finish the TLS handshake within {timeout.TotalSeconds:0} s");
            throw ShellException.User($"no TLS handshake with {address} ({NodeClient.OneLine(e.Message)}): is its API plain HTTP? " +
                "(TROUPE_CA or $TROUPE_HOME/ca.pem makes the shell speak TLS)");
        }
    }

    X509Certificate2 LoadCa()
    {
        try { return X509Certificate2.CreateFromPem(File.ReadAllText(CaPath!)); }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw ShellException.User($"{CaPath}: not a PEM certificate ({NodeClient.OneLine(e.Message)})");
        }
    }
}
