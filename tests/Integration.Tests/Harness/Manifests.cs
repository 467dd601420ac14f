namespace Troupe.Integration.Tests.Harness;

/// <summary>Small Deployment manifests for tests, written as a user would write them.</summary>
public static class Manifests
{
    /// <summary>The example in <c>config/examples/deployment.yaml</c>: Deployment <c>web</c>, 3 busybox replicas.</summary>
    public static string Example => RepoRoot.File("config", "examples", "deployment.yaml");

    /// <summary>A Deployment of busybox running <c>sh -c SCRIPT</c>, labelled <c>app: NAME</c>.</summary>
    public static string Deployment(string name, int replicas, string script, int grace = 5, string memory = "64Mi",
        string image = "busybox:latest", string? command = null) =>
        $"""
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: {name}
        spec:
          replicas: {replicas}
          selector:
            matchLabels:
              app: {name}
          template:
            metadata:
              labels:
                app: {name}
            spec:
              terminationGracePeriodSeconds: {grace}
              containers:
                - name: main
                  image: {image}
                  command: {command ?? $"[\"sh\", \"-c\", {Quote(script)}]"}
                  resources:
                    limits:
                      memory: {memory}
                      cpu: 250m

        """;

    private static string Quote(string s) => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}
