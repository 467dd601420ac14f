using Troupe.Api.Manifests;
using Troupe.Api.Objects;
using Xunit;

namespace Troupe.Api.Tests.Manifests;

/// <summary>livenessProbe, readinessProbe and startupProbe as users write them: read with Kubernetes' defaults, validated.</summary>
public sealed class ProbeManifestSpec
{
    static string Pod(string probes) => $"""
        apiVersion: v1
        kind: Pod
        metadata:
          name: p
        spec:
          containers:
          - name: app
            image: busybox
            ports: [{"{"}name: http, containerPort: 8080{"}"}]
        {probes}
        """;

    [Fact]
    public void Probes_must_be_read_with_their_handlers_and_the_defaults()
    {
        var set = ManifestReader.Read(Pod("""
                readinessProbe:
                  httpGet:
                    path: /healthz
                    port: http
                    httpHeaders: [{name: X-Probe, value: "1"}]
                  periodSeconds: 2
                livenessProbe:
                  tcpSocket: {port: 8080}
                  initialDelaySeconds: 5
                  failureThreshold: 4
                startupProbe:
                  exec: {command: [cat, /tmp/started]}
                  timeoutSeconds: 3
            """), "p.yaml");
        Assert.Empty(ManifestValidator.Check(set));
        var c = ((Pod)Assert.Single(set.Entries).Object).Spec.Containers[0];
        Assert.Equal(("/healthz", "http", "HTTP", 2, 1, 3, 1), (c.ReadinessProbe!.HttpGet!.Path, c.ReadinessProbe.HttpGet.Port.Value, c.ReadinessProbe.HttpGet.Scheme,
            c.ReadinessProbe.PeriodSeconds, c.ReadinessProbe.TimeoutSeconds, c.ReadinessProbe.FailureThreshold, c.ReadinessProbe.SuccessThreshold));
        Assert.Equal(new HttpHeader("X-Probe", "1"), Assert.Single(c.ReadinessProbe.HttpGet.HttpHeaders));
        Assert.Equal((8080, 5, 4, 10), (c.LivenessProbe!.TcpSocket!.Port.Number, c.LivenessProbe.InitialDelaySeconds, c.LivenessProbe.FailureThreshold, c.LivenessProbe.PeriodSeconds));
        Assert.Equal("cat /tmp/started", string.Join(" ", c.StartupProbe!.Exec!.Command));
        Assert.Equal(3, c.StartupProbe.TimeoutSeconds);
    }

    [Theory]
    [InlineData("livenessProbe:\n      periodSeconds: 1", "spec.containers[0].livenessProbe", "must specify a handler type")]
    [InlineData("livenessProbe:\n      exec: {command: [x]}\n      tcpSocket: {port: 1}", "spec.containers[0].livenessProbe", "more than one handler")]
    [InlineData("livenessProbe:\n      exec: {command: [x]}\n      successThreshold: 2", "spec.containers[0].livenessProbe.successThreshold", "must be 1")]
    [InlineData("readinessProbe:\n      tcpSocket: {port: 70000}", "spec.containers[0].readinessProbe.tcpSocket.port", "between 1 and 65535")]
    [InlineData("readinessProbe:\n      exec: {command: [x]}\n      periodSeconds: 0", "spec.containers[0].readinessProbe.periodSeconds", "greater than or equal to 1")]
    public void A_bad_probe_must_be_refused_naming_the_field(string probe, string field, string message)
    {
        var p = Assert.Single(ManifestValidator.Check(ManifestReader.Read(Pod("    " + probe.Replace("\n", "\n    ")), "p.yaml")));
        Assert.Equal(field, p.Field);
        Assert.Contains(message, p.Message);
    }

    [Fact]
    public void A_grpc_probe_must_be_an_error_not_ignored()
    {
        var e = Assert.Throws<ManifestException>(() => ManifestReader.Read(Pod("    livenessProbe:\n      grpc: {port: 9000}"), "p.yaml"));
        Assert.Contains("grpc probes are not supported", e.Problems[0].Message);
    }
}
