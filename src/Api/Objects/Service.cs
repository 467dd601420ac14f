using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Troupe.Api.Objects;

/// <summary>
/// <c>v1</c> Service: a stable address (its ClusterIP, and on every node's host ports for <c>NodePort</c> and
/// <c>LoadBalancer</c>) whose connections a TCP load balancer on every node spreads over the ready pods its
/// <c>selector</c> matches.
/// </summary>
public sealed record Service : KubeObject
{
    public override string ApiVersion { get; set; } = "v1";
    public ServiceSpec Spec { get; set; } = new();
    public ServiceStatus? Status { get; init; }
}

public sealed record ServiceSpec
{
    /// <summary><c>ClusterIP</c> (default), <c>NodePort</c>, <c>LoadBalancer</c>.</summary>
    public string Type { get; set; } = "ClusterIP";
    public ImmutableSortedDictionary<string, string> Selector { get; set; } = ImmutableSortedDictionary<string, string>.Empty;
    public ImmutableArray<ServicePort> Ports { get; set; } = ImmutableArray<ServicePort>.Empty;
    /// <summary>Allocated by Troupe when not written (or <c>None</c>: a headless Service, no load balancer).</summary>
    [JsonPropertyName("clusterIP")] public string? ClusterIP { get; init; }
}

public sealed record ServicePort
{
    public string? Name { get; init; }
    public string Protocol { get; set; } = "TCP";
    public int Port { get; init; }
    /// <summary>The pods' port: a number, or the name of a container port; the Service port when not written.</summary>
    public IntOrString? TargetPort { get; init; }
    /// <summary>For NodePort and LoadBalancer Services: the port on every node (30000-32767), allocated when not written.</summary>
    public int? NodePort { get; init; }
}

/// <summary><c>status.loadBalancer.ingress[].ip</c> for a LoadBalancer Service: the nodes' address it listens on.</summary>
public sealed record ServiceStatus
{
    public LoadBalancerStatus LoadBalancer { get; set; } = new();
}

public sealed record LoadBalancerStatus
{
    public ImmutableArray<LoadBalancerIngress> Ingress { get; set; } = ImmutableArray<LoadBalancerIngress>.Empty;
}

public sealed record LoadBalancerIngress(string Ip);

/// <summary>
/// <c>v1</c> Endpoints, derived (never applied): for each Service with a selector, the addresses of the pods it
/// matches, ready ones in <c>addresses</c> and the others in <c>notReadyAddresses</c>, with the resolved ports.
/// </summary>
public sealed record Endpoints : KubeObject
{
    public override string ApiVersion { get; set; } = "v1";
    public ImmutableArray<EndpointSubset> Subsets { get; set; } = ImmutableArray<EndpointSubset>.Empty;
}

public sealed record EndpointSubset
{
    public ImmutableArray<EndpointAddress> Addresses { get; set; } = ImmutableArray<EndpointAddress>.Empty;
    public ImmutableArray<EndpointAddress> NotReadyAddresses { get; set; } = ImmutableArray<EndpointAddress>.Empty;
    public ImmutableArray<EndpointPort> Ports { get; set; } = ImmutableArray<EndpointPort>.Empty;
}

public sealed record EndpointAddress(string Ip, string? NodeName = null, ObjectReference? TargetRef = null);

public sealed record EndpointPort(string? Name, int Port, string Protocol = "TCP");

/// <summary>Kubernetes' int-or-string (<c>targetPort: 8080</c> or <c>targetPort: http</c>), written back as it came.</summary>
[JsonConverter(typeof(IntOrStringConverter))]
public readonly record struct IntOrString(string Value)
{
    public int? Number => int.TryParse(Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
    public override string ToString() => Value;
}

public sealed class IntOrStringConverter : JsonConverter<IntOrString>
{
    public override IntOrString Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType switch
        {
            JsonTokenType.Number => new IntOrString(reader.GetInt64().ToString(CultureInfo.InvariantCulture)),
            JsonTokenType.String => new IntOrString(reader.GetString() ?? ""),
            _ => throw new JsonException("expected a number or a string"),
        };

    public override void Write(Utf8JsonWriter writer, IntOrString value, JsonSerializerOptions options)
    {
        if (value.Number is { } n) writer.WriteNumberValue(n);
        else writer.WriteStringValue(value.Value);
    }
}
