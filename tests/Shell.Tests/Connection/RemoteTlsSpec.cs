using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using Troupe.Api.Protocol;
using Troupe.Shell.Connection;
using Xunit;

namespace Troupe.Shell.Tests.Connection;

/// <summary>Where the shell finds the cluster's CA and token for a remote API, and which certificates that CA accepts.</summary>
public sealed class RemoteTlsSpec : IDisposable
{
    readonly TempHome _home = new();

    public void Dispose() => _home.Dispose();

    static Func<string, string?> Env(params (string Name, string Value)[] vars) =>
        name => vars.FirstOrDefault(v => v.Name == name).Value;

    [Fact]
    public void Without_a_CA_or_a_token_anywhere_the_shell_must_speak_plain_HTTP_without_a_token()
    {
        var tls = RemoteTls.From(Env(), _home.Path);
        Assert.Null(tls.CaPath);
        Assert.Null(tls.Authorization);
    }

    [Fact]
    public void The_files_in_TROUPE_HOME_must_be_used_when_the_environment_names_none()
    {
        File.WriteAllText(Path.Combine(_home.Path, "ca.pem"), "pem");
        File.WriteAllText(Path.Combine(_home.Path, "token"), "s3cret\n");
        var tls = RemoteTls.From(Env(), _home.Path);
        Assert.Equal(Path.Combine(_home.Path, "ca.pem"), tls.CaPath);
        Assert.Equal("Bearer s3cret", tls.Authorization);
    }

    [Fact]
    public void TROUPE_CA_and_TROUPE_TOKEN_must_win_over_the_files_in_TROUPE_HOME()
    {
        File.WriteAllText(Path.Combine(_home.Path, "ca.pem"), "pem");
        File.WriteAllText(Path.Combine(_home.Path, "token"), "from-file");
        var other = Path.Combine(_home.Path, "other.pem");
        File.WriteAllText(other, "pem");
        var tls = RemoteTls.From(Env(("TROUPE_CA", other), ("TROUPE_TOKEN", "from-env")), _home.Path);
        Assert.Equal(other, tls.CaPath);
        Assert.Equal("Bearer from-env", tls.Authorization);
    }

    [Fact]
    public void A_TROUPE_CA_that_names_no_file_must_be_one_user_error()
    {
        var e = Assert.Throws<ShellException>(() => RemoteTls.From(Env(("TROUPE_CA", "/nonexistent/ca.pem")), _home.Path));
        Assert.Equal(ExitCodes.UserError, e.ExitCode);
        Assert.Equal("TROUPE_CA=/nonexistent/ca.pem: no such file", e.Message);
    }

    [Fact]
    public void Only_a_certificate_signed_by_the_cluster_CA_must_be_accepted()
    {
        var ours = MakeCluster("ours");
        var theirs = MakeCluster("theirs");
        using var ca = X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(ours, "ca.pem")));
        using var cert = Load(ours);
        using var foreign = Load(theirs);
        Assert.Null(ClusterCa.Refuses(cert, ca));
        Assert.NotNull(ClusterCa.Refuses(foreign, ca));
        Assert.NotNull(ClusterCa.Refuses(null, ca));
    }

    static X509Certificate2 Load(string dir) =>
        X509CertificateLoader.LoadPkcs12FromFile(Path.Combine(dir, "cluster.pfx"), File.ReadAllText(Path.Combine(dir, "cluster.password")).Trim());

    string MakeCluster(string name)
    {
        var dir = Path.Combine(_home.Path, name);
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Actors.sln"))) root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("no repository root");
        using var p = Process.Start(new ProcessStartInfo(Path.Combine(root, "scripts", "cluster-cert.sh"), dir)
            { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, err);
        return dir;
    }
}
