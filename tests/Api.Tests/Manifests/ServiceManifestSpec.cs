using Troupe.Api.Manifests;
using Troupe.Api.Objects;
using Troupe.Api.Protocol;
using Xunit;

namespace Troupe.Api.Tests.Manifests;

/// <summary>v1 Service as written by users: read, validated with the field named, and its JSON as kubectl's.</summary>
public sealed class ServiceManifestSpec
{
    const string Web = """
        apiVersion: v1
        kind: Service
        metadata:
          name: web
        spec:
          type: NodePort
          selector:
            app: web
          ports:
            - name: http
              port: 80
              targetPort: http
              nodePort: 30080
            - name: admin
              port: 8081
              targetPort: 9000
        """;

    [Fact]
    public void A_Service_must_be_read_with_its_ports_and_int_or_string_target_ports()
    {
        var set = ManifestReader.Read(Web, "svc.yaml");
        Assert.Empty(ManifestValidator.Check(set));
        var svc = (Service)Assert.Single(set.Entries).Object;
        Assert.Equal("NodePort", svc.Spec.Type);
        Assert.Equal("web", svc.Spec.Selector["app"]);
        Assert.Equal(("http", 80, "http", 30080), (svc.Spec.Ports[0].Name, svc.Spec.Ports[0].Port, svc.Spec.Ports[0].TargetPort?.Value, svc.Spec.Ports[0].NodePort));
        Assert.Equal(9000, svc.Spec.Ports[1].TargetPort?.Number);
        // targetPort written back as it came: a name as a string, a number as a number
        var json = ProtocolJson.Serialize(svc);
        Assert.Contains("\"targetPort\":\"http\"", json);
        Assert.Contains("\"targetPort\":9000", json);
        Assert.Contains("\"kind\":\"Service\"", json);
        var back = (Service)ProtocolJson.DeserializeObject(json);
        Assert.Equal(svc.Spec.Ports[1].TargetPort, back.Spec.Ports[1].TargetPort);
    }

    [Theory]
    [InlineData("type: NodePort", "type: ExternalName", "spec.type", "ExternalName Services are not supported")]
    [InlineData("type: NodePort", "type: Balanced", "spec.type", "unsupported value \"Balanced\"")]
    [InlineData("nodePort: 30080", "nodePort: 80", "spec.ports[0].nodePort", "not in the valid range")]
    [InlineData("port: 80\n", "port: 70000\n", "spec.ports[0].port", "between 1 and 65535")]
    [InlineData("- name: admin", "- name: http", "spec.ports[1].name", "duplicate port name")]
    [InlineData("targetPort: 9000", "targetPort: 0", "spec.ports[1].targetPort", "between 1 and 65535")]
    [InlineData("name: admin\n", "protocol: UDP\n      name: admin\n", "spec.ports[1].protocol", "UDP Services are not supported")]
    public void A_bad_Service_must_be_refused_naming_the_field(string from, string to, string field, string message)
    {
        Assert.Contains(from, Web);
        var p = Assert.Single(ManifestValidator.Check(ManifestReader.Read(Web.Replace(from, to), "svc.yaml")));
        Assert.Equal(field, p.Field);
        Assert.Contains(message, p.Message);
        Assert.True(p.Line > 0);
    }

    [Fact]
    public void A_Service_without_ports_or_with_a_nodePort_on_ClusterIP_must_be_refused()
    {
        var noPorts = Assert.Single(ManifestValidator.Check(ManifestReader.Read("apiVersion: v1\nkind: Service\nmetadata:\n  name: x\nspec:\n  selector:\n    app: x\n", "s.yaml")));
        Assert.Equal(("spec.ports", "at least one port is required"), (noPorts.Field, noPorts.Message));
        var clusterIp = ManifestValidator.Check(ManifestReader.Read(Web.Replace("type: NodePort", "type: ClusterIP"), "s.yaml"));
        Assert.Contains(clusterIp, p => p.Field == "spec.ports[0].nodePort" && p.Message.Contains("ClusterIP"));
        var unknown = Assert.Throws<ManifestException>(() => ManifestReader.Read(Web.Replace("type: NodePort", "externalName: db.example.com"), "s.yaml"));
        Assert.Contains("spec.externalName", unknown.Problems[0].Field);
    }
}
