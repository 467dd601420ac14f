using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Akka.Configuration;
using Troupe.Api.Protocol;

namespace Troupe.Actors.Hosting;

/// <summary>
/// The <c>troupe.tls</c> section (config/tls.hocon), read once when <c>akka.remote.dot-netty.tcp.enable-ssl</c> is on:
/// the cluster certificate every node presents (remoting and the TCP command API), the cluster CA every peer's
/// certificate must chain to, and the command API's bearer token. Relative paths are in <c>$TROUPE_HOME</c>.
/// </summary>
public sealed class TlsSettings
{
    readonly byte[] _token;

    TlsSettings(X509Certificate2 certificate, X509Certificate2 ca, byte[] token, bool requireMutualAuthentication)
    {
        Certificate = certificate;
        Ca = ca;
        _token = token;
        RequireMutualAuthentication = requireMutualAuthentication;
    }

    /// <summary>The cluster certificate with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The cluster CA: the only root a peer's certificate may chain to.</summary>
    public X509Certificate2 Ca { get; }

    /// <summary>Whether a node dialling this one must present a certificate too (<c>ssl.require-mutual-authentication</c>).</summary>
    public bool RequireMutualAuthentication { get; }

    /// <summary>The bearer token, for this node's own calls to the other nodes' command APIs.</summary>
    public string Token => Encoding.UTF8.GetString(_token);

    /// <summary>Null when remoting runs without TLS; otherwise every file loaded, or a <see cref="StartupException"/> naming the one that is not.</summary>
    public static TlsSettings? Create(Config config, string home)
    {
        if (!config.GetBoolean("akka.remote.dot-netty.tcp.enable-ssl", false)) return null;
        var c = config.GetConfig("troupe.tls") ?? Config.Empty;
        string File(string key)
        {
            var value = c.GetString(key, "");
            if (string.IsNullOrWhiteSpace(value))
                throw new StartupException($"akka.remote.dot-netty.tcp.enable-ssl is on but troupe.tls.{key} is not set (see config/tls.hocon)");
            var path = Path.GetFullPath(value, home);
            if (!System.IO.File.Exists(path))
                throw new StartupException($"troupe.tls.{key}: no such file {path} (make the cluster's with scripts/cluster-cert.sh)");
            return path;
        }

        var certificatePath = File("certificate");
        var password = System.IO.File.ReadAllText(File("password-file")).Trim();
        var caPath = File("ca");
        var token = Encoding.UTF8.GetBytes(System.IO.File.ReadAllText(File("token-file")).Trim());
        if (token.Length == 0) throw new StartupException($"troupe.tls.token-file: {c.GetString("token-file")} is empty");

        X509Certificate2 certificate, ca;
        try { certificate = X509CertificateLoader.LoadPkcs12FromFile(certificatePath, password); }
        catch (CryptographicException e) { throw new StartupException($"troupe.tls.certificate: {certificatePath}: {e.Message} (is troupe.tls.password-file its password?)"); }
        if (!certificate.HasPrivateKey) throw new StartupException($"troupe.tls.certificate: {certificatePath} holds no private key");
        try { ca = X509Certificate2.CreateFromPem(System.IO.File.ReadAllText(caPath)); }
        catch (CryptographicException e) { throw new StartupException($"troupe.tls.ca: {caPath}: not a PEM certificate: {e.Message}"); }
        var settings = new TlsSettings(certificate, ca, token,
            config.GetBoolean("akka.remote.dot-netty.tcp.ssl.require-mutual-authentication", true));
        if (!settings.ChainsToCa(certificate, out var why))
            throw new StartupException($"troupe.tls.certificate: {certificatePath} is not signed by troupe.tls.ca {caPath}: {why}");
        return settings;
    }

    /// <summary>Whether <paramref name="peer"/> chains to the cluster CA (<see cref="ClusterCa"/>), and if not why.</summary>
    public bool ChainsToCa(X509Certificate? peer, out string why)
    {
        why = ClusterCa.Refuses(peer, Ca) ?? "";
        return why.Length == 0;
    }

    /// <summary>A TLS callback (HttpClient, SslStream) accepting exactly the certificates that chain to the cluster CA.</summary>
    public bool ValidateServer(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors) =>
        ChainsToCa(certificate, out _);

    /// <summary>Whether an <c>Authorization</c> header carries this cluster's bearer token (compared in constant time).</summary>
    public bool Authorizes(string? authorization)
    {
        const string scheme = "Bearer ";
        if (authorization is null || !authorization.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)) return false;
        var given = Encoding.UTF8.GetBytes(authorization[scheme.Length..].Trim());
        return CryptographicOperations.FixedTimeEquals(given, _token);
    }
}
