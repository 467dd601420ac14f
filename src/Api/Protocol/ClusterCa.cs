using System.Security.Cryptography.X509Certificates;

namespace Troupe.Api.Protocol;

/// <summary>
/// The one trust rule of a TLS cluster (config/tls.hocon), for the nodes and the shell alike: a peer's certificate
/// must chain to the cluster's own CA and to nothing else (the system's roots are not trusted, revocation is not
/// checked: the CA signs only the cluster's certificate), whatever host name it was reached by.
/// </summary>
public static class ClusterCa
{
    /// <summary>Null when <paramref name="peer"/> chains to <paramref name="ca"/>; otherwise why not, in one line.</summary>
    public static string? Refuses(X509Certificate? peer, X509Certificate2 ca)
    {
        if (peer is null) return "no certificate presented";
        using var certificate = X509CertificateLoader.LoadCertificate(peer.GetRawCertData());
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain.Build(certificate)) return null;
        var why = string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct());
        return why.Length > 0 ? why : "its chain does not end at the cluster CA";
    }
}
