using Troupe.Integration.Tests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace Troupe.Integration.Tests.Workloads;

/// <summary>
/// ConfigMaps and Namespaces on one real node (runc): a pod in a new namespace takes a ConfigMap as variables (env
/// valueFrom, envFrom) and as files (a configMap volume); an object for a namespace that does not exist is refused;
/// deleting the namespace deletes what is in it.
/// </summary>
public sealed class ConfigMapSpec(NodeFixture node, ITestOutputHelper output) : IClassFixture<NodeFixture>
{
    static readonly TimeSpan Long = TimeSpan.FromSeconds(90);

    const string Objects = """
        apiVersion: v1
        kind: Namespace
        metadata:
          name: team-cm
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: settings
          namespace: team-cm
        data:
          greeting: hello from the configmap
          MODE: fast
          app.conf: |
            color=blue
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: cfg
          namespace: team-cm
        spec:
          replicas: 1
          selector:
            matchLabels: {app: cfg}
          template:
            metadata:
              labels: {app: cfg}
            spec:
              terminationGracePeriodSeconds: 1
              containers:
                - name: c
                  image: busybox
                  command: [sh, -c, 'echo "GREETING=$GREETING CFG_MODE=$CFG_MODE POD=$POD NS=$NS"; cat /etc/app/conf/app.conf; ls -l /etc/app/conf; exec sleep 600']
                  envFrom:
                    - configMapRef: {name: settings}
                      prefix: CFG_
                  env:
                    - name: GREETING
                      valueFrom: {configMapKeyRef: {name: settings, key: greeting}}
                    - name: POD
                      valueFrom: {fieldRef: {fieldPath: metadata.name}}
                    - name: NS
                      valueFrom: {fieldRef: {fieldPath: metadata.namespace}}
                  volumeMounts:
                    - {name: config, mountPath: /etc/app}
              volumes:
                - name: config
                  configMap:
                    name: settings
                    items: [{key: app.conf, path: conf/app.conf, mode: 0640}]
        """;

    [SkippableFact]
    public void A_pod_in_a_new_namespace_takes_a_configmap_as_env_and_files_and_the_namespace_deletes_its_content()
    {
        Requirements.Runc();
        var cli = node.Start(output, "configmaps");

        // a namespace that does not exist: refused, nothing applied
        var refused = cli.Apply(Objects.Replace("team-cm", "nope-ns").Replace("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: nope-ns\n---\n", ""), "missing.yaml", expectExit: 1);
        Assert.Contains("namespaces \"nope-ns\" not found", refused.ErrorLine);
        Assert.Contains("No resources found", cli.Expect(0, "get", "cm", "-n", "nope-ns").Stderr);

        var applied = cli.Apply(Objects, "cm.yaml");
        Assert.Equal("namespace/team-cm created\nconfigmap/settings created\ndeployment.apps/cfg created\n", applied.Stdout);
        Assert.Matches(@"(?m)^settings\s+3\s", cli.Expect(0, "get", "configmaps", "-n", "team-cm").Stdout);
        var namespaces = cli.Expect(0, "get", "ns").Stdout;
        Assert.Matches(@"(?m)^default\s+Active\s", namespaces);
        Assert.Matches(@"(?m)^team-cm\s+Active\s", namespaces);
        Assert.Contains("unchanged", cli.Apply(Objects, "cm.yaml").Stdout);

        var pod = Eventually.Until("the pod in team-cm to run", Long,
            () => cli.Expect(0, "get", "pods", "-n", "team-cm", "-o", "json").Json.GetProperty("items").EnumerateArray()
                .Select(p => p.GetProperty("metadata").GetProperty("name").GetString()!).ToList(), names => names.Count == 1, n => string.Join(",", n))[0];
        var logs = Eventually.Until("the pod's output", Long, () => cli.Run("logs", "-n", "team-cm", pod).Stdout, l => l.Contains("color=blue"), l => l);
        Assert.Contains($"GREETING=hello from the configmap CFG_MODE=fast POD={pod} NS=team-cm", logs);
        Assert.Contains("-rw-r-----", logs); // mode 0640 from the item
        Assert.Empty(cli.Expect(0, "get", "pods", "-o", "json").Json.GetProperty("items").EnumerateArray()
            .Where(p => p.GetProperty("metadata").GetProperty("name").GetString() == pod));

        // the configmap's volume is read-only in the container
        var write = cli.Run("exec", "-n", "team-cm", pod, "--", "sh", "-c", "echo x > /etc/app/conf/new");
        Assert.NotEqual(0, write.ExitCode);

        // deleting the namespace deletes the Deployment, its pod and the ConfigMap
        Assert.Equal(1, cli.Expect(1, "delete", "namespace", "default").ExitCode);
        cli.Expect(0, Long, "delete", "namespace", "team-cm");
        Eventually.Until("team-cm to be empty and gone", Long, () => (
                Pods: cli.Run("get", "pods", "-n", "team-cm", "-o", "json").Stdout,
                Cms: cli.Run("get", "cm", "-n", "team-cm").Stderr,
                Ns: cli.Run("get", "ns").Stdout),
            s => s.Pods.Contains("\"items\": []") && s.Cms.Contains("No resources found") && !s.Ns.Contains("team-cm"), s => s.ToString());
    }

    [SkippableFact]
    public void A_change_to_an_immutable_configmap_is_refused_before_anything_of_the_apply_is_stored()
    {
        Requirements.Runc();
        var cli = node.Start(output, "configmaps");
        const string frozen = """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: frozen
            immutable: true
            data:
              level: "1"
            """;
        Assert.Equal("configmap/frozen created\n", cli.Apply(frozen, "frozen.yaml").Stdout);
        // its labels may change; its data may not, and then the new ConfigMap before it in the file is not made either
        Assert.Equal("configmap/frozen configured\n", cli.Apply(frozen.Replace("  name: frozen\n", "  name: frozen\n  labels: {tier: a}\n"), "frozen.yaml").Stdout);
        var refused = cli.Apply("""
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: before-it
            data:
              x: "y"
            ---
            """ + "\n" + frozen.Replace("level: \"1\"", "level: \"2\""), "both.yaml", expectExit: 1);
        Assert.Contains("configmap \"frozen\": field is immutable when `immutable` is set", refused.ErrorLine);
        Assert.Single(refused.ErrorLine.Split('\n'));
        Assert.Contains("not found", cli.Run("get", "cm", "before-it").Stderr);
        Assert.Contains("level: \"1\"", cli.Expect(0, "get", "cm", "frozen", "-o", "yaml").Stdout);
        cli.Expect(0, "delete", "configmap", "frozen");
    }
}
