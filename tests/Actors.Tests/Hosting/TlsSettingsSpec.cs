using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using Akka.Configuration;
using Troupe.Actors.Hosting;
using Xunit;

namespace Troupe.Actors.Tests.Hosting;

/// <summary>config/tls.hocon as the node reads it: the seeds' scheme, the files in TROUPE_HOME, the token check.</summary>
public sealed class TlsSettingsSpec : IDisposable
{
    static readonly string Root = FindRoot();
    static readonly string TlsHocon = Path.Combine(Root, "config", "tls.hocon");
    readonly string _dir = Directory.CreateTempSubdirectory("troupe-tls-spec-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    Config Load(params string[] args) => ConfigLoader.Load(NodeOptions.Parse(["node", "--seed", "127.0.0.1:4053", .. args]), _dir, Root);

    [Fact]
    public void With_tls_hocon_the_seeds_must_be_dialled_as_akka_ssl_tcp()
    {
        Assert.Equal(["akka.tcp://troupe@127.0.0.1:4053"], Load().GetStringList("akka.cluster.seed-nodes"));
        Assert.Equal(["akka.ssl.tcp://troupe@127.0.0.1:4053"], Load("--config", TlsHocon).GetStringList("akka.cluster.seed-nodes"));
    }

    [Fact]
    public void Without_enable_ssl_there_must_be_no_TLS_settings_even_with_the_files_present()
    {
        MakeCluster(_dir);
        Assert.Null(TlsSettings.Create(Load(), _dir));
    }

    [Fact]
    public void With_tls_hocon_and_no_certificate_in_TROUPE_HOME_the_node_must_refuse_to_start_with_one_line()
    {
        var e = Assert.Throws<StartupException>(() => TlsSettings.Create(Load("--config", TlsHocon), _dir));
        Assert.Equal($"troupe.tls.certificate: no such file {Path.Combine(_dir, "cluster.pfx")} (make the cluster's with scripts/cluster-cert.sh)", e.Message);
    }

    [Fact]
    public void The_cluster_files_must_load_and_only_the_cluster_CA_and_the_cluster_token_must_pass()
    {
        MakeCluster(_dir);
        var other = Path.Combine(_dir, "other");
        MakeCluster(other);
        var tls = TlsSettings.Create(Load("--config", TlsHocon), _dir) ?? throw new InvalidOperationException("no TLS settings");
        Assert.True(tls.Certificate.HasPrivateKey);
        Assert.True(tls.RequireMutualAuthentication);
        Assert.True(tls.ChainsToCa(tls.Certificate, out _));
        using var foreign = X509CertificateLoader.LoadPkcs12FromFile(Path.Combine(other, "cluster.pfx"),
            File.ReadAllText(Path.Combine(other, "cluster.password")).Trim());
        Assert.False(tls.ChainsToCa(foreign, out var why));
        Assert.NotEqual("", why);
        Assert.False(tls.ChainsToCa(null, out _));

        var token = File.ReadAllText(Path.Combine(_dir, "token")).Trim();
        Assert.True(tls.Authorizes($"Bearer {token}"));
        Assert.True(tls.Authorizes($"bearer {token}"));
        Assert.False(tls.Authorizes($"Bearer {token}x"));
        Assert.False(tls.Authorizes(token));
        Assert.False(tls.Authorizes("Bearer "));
        Assert.False(tls.Authorizes(null));
    }

    static void MakeCluster(string dir)
    {
        using var p = Process.Start(new ProcessStartInfo(Path.Combine(Root, "scripts", "cluster-cert.sh"), dir)
            { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, err);
    }

    /// <summary>The repository's root (where Actors.sln is), for its cluster.hocon and config/.</summary>
    internal static string FindRoot()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Actors.sln"))) root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("no repository root");
        return root;
    }
}
