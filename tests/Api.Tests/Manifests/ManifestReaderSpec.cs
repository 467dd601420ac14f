using Troupe.Api.Manifests;
using Troupe.Api.Objects;
using Xunit;

namespace Troupe.Api.Tests.Manifests;

public class ManifestReaderSpec
{
    static ManifestException Fails(string yaml, string file = "app.yaml", bool skipUnsupported = false, string? ns = null) =>
        Assert.Throws<ManifestException>(() => ManifestReader.Read(yaml, file, skipUnsupported, ns));

    static void AssertProblem(ManifestException e, int line, int column, string field, string messagePart, string file = "app.yaml")
    {
        var p = Assert.Single(e.Problems, p => p.Line == line && p.Field == field);
        Assert.Equal(file, p.File);
        Assert.Equal(column, p.Column);
        Assert.Contains(messagePart, p.Message);
    }

    [Fact]
    public void ManifestReader_must_read_the_seed_deployment()
    {
        var set = ManifestReader.Read(Corpus.SeedDeployment, "deployment.yaml");
        var d = Assert.IsType<Deployment>(Assert.Single(set.Objects));
        Assert.Equal("myapp", d.Metadata.Name);
        Assert.Equal("default", d.Metadata.Namespace);
        Assert.Equal(3, d.Spec.Replicas);
        Assert.Equal("myapp", d.Spec.Selector.MatchLabels["app"]);
        Assert.Equal("myapp", d.Spec.Template.Metadata.Labels["app"]);
        var c = Assert.Single(d.Spec.Template.Spec.Containers);
        Assert.Equal(("myapp", "myapp:1.0", 5000, "TCP"), (c.Name, c.Image, c.Ports[0].ContainerPort, c.Ports[0].Protocol));
        Assert.Equal("RollingUpdate", d.Spec.Strategy.Type);
        Assert.Equal("25%", d.Spec.Strategy.RollingUpdate!.MaxSurge);
        Assert.Equal(600, d.Spec.ProgressDeadlineSeconds);
        Assert.Empty(set.Skipped);
        Assert.Empty(set.Warnings);
        Assert.Equal("deployment.yaml:1", set.Entries[0].Location);
        ManifestValidator.Validate(set);
    }

    [Fact]
    public void ManifestReader_must_map_every_modelled_field()
    {
        var set = ManifestReader.Read(Corpus.FullDeployment, "web.yaml");
        var d = Assert.IsType<Deployment>(Assert.Single(set.Objects));
        Assert.Equal(("web", "shop"), (d.Metadata.Name, d.Metadata.Namespace));
        Assert.Equal("frontend", d.Metadata.Labels["tier"]);
        Assert.Equal("web", d.Metadata.Labels["app.kubernetes.io/name"]);
        Assert.Equal("3", d.Metadata.Annotations["deployment.kubernetes.io/revision"]);
        Assert.Null(d.Metadata.Uid); // server-owned fields from `get -o yaml` are not taken from users
        var s = d.Spec;
        Assert.Equal((5, 10, 4, 300, true), (s.Replicas, s.MinReadySeconds, s.RevisionHistoryLimit, s.ProgressDeadlineSeconds, s.Paused));
        Assert.Equal(2, s.Selector.MatchExpressions.Length);
        Assert.Equal(new[] { "frontend", "edge" }, s.Selector.MatchExpressions[0].Values);
        Assert.Equal(("canary", "DoesNotExist"), (s.Selector.MatchExpressions[1].Key, s.Selector.MatchExpressions[1].Operator));
        Assert.Equal(("1", "25%"), (s.Strategy.RollingUpdate!.MaxSurge, s.Strategy.RollingUpdate.MaxUnavailable));
        var pod = s.Template.Spec;
        Assert.Equal(("Always", 45L, "node-1", "web-host"), (pod.RestartPolicy, pod.TerminationGracePeriodSeconds, pod.NodeName, pod.Hostname));
        Assert.Equal("ssd", pod.NodeSelector["disktype"]);
        var init = Assert.Single(pod.InitContainers);
        Assert.Equal(new[] { "/bin/migrate", "--up" }, init.Command);
        var c = Assert.Single(pod.Containers);
        Assert.Equal(("web", "nginx:1.25", "IfNotPresent", "/usr/share/nginx"), (c.Name, c.Image, c.ImagePullPolicy, c.WorkingDir));
        Assert.Equal(new[] { "/docker-entrypoint.sh" }, c.Command);
        Assert.Equal(new[] { "nginx", "-g", "daemon off;" }, c.Args);
        Assert.True(c.Tty);
        Assert.False(c.Stdin);
        Assert.Equal(new[] { new EnvVar("PORT", "8080"), new EnvVar("GREETING", "hello: world"), new EnvVar("EMPTY", "") }, c.Env.ToArray());
        Assert.Equal(new PortSpec { ContainerPort = 8080, Name = "http", Protocol = "TCP", HostPort = 18080, HostIP = "127.0.0.1" }, c.Ports[0]);
        Assert.Equal(new PortSpec { ContainerPort = 5353, Protocol = "UDP" }, c.Ports[1]);
        Assert.Equal("250m", c.Resources.Requests["cpu"]);
        Assert.Equal("64Mi", c.Resources.Requests["memory"]);
        Assert.Equal("1", c.Resources.Limits["cpu"]);
        Assert.Equal("1Gi", c.Resources.Limits["memory"]);
        Assert.Empty(set.Warnings); // probes, volumes, securityContext and status are Kubernetes fields: ignored quietly
        ManifestValidator.Validate(set);
    }

    [Fact]
    public void ManifestReader_must_read_multi_document_files_and_skip_empty_documents()
    {
        var set = ManifestReader.Read(Corpus.ClaimAndDeployment, "app.yaml", skipUnsupported: true);
        var d = Assert.IsType<Deployment>(Assert.Single(set.Objects));
        Assert.Equal("nginx", d.Spec.Template.Spec.Containers[0].Image);
        Assert.Equal("app.yaml:14", set.Entries[0].Location);
        var skipped = Assert.Single(set.SkippedObjects);
        Assert.Equal(("PersistentVolumeClaim", "v1", "web", 4), (skipped.Kind, skipped.ApiVersion, skipped.Name, skipped.Line));
        Assert.Equal("app.yaml:4: PersistentVolumeClaim/web (v1)", Assert.Single(set.Skipped));
        ManifestValidator.Validate(set);
    }

    [Fact]
    public void ManifestReader_must_refuse_an_unsupported_kind_naming_it()
    {
        var e = Fails(Corpus.ClaimAndDeployment);
        var p = Assert.Single(e.Problems);
        Assert.Equal("app.yaml:5:7: kind PersistentVolumeClaim (v1) is not supported by Troupe yet (pass --skip-unsupported to skip it)", p.ToString());
    }

    [Fact]
    public void ManifestReader_must_refuse_an_ingress_with_file_and_line()
    {
        var e = Fails("""
            apiVersion: networking.k8s.io/v1
            kind: Ingress
            metadata: {name: web}
            spec: {rules: []}
            """, "ingress.yaml");
        Assert.Equal("ingress.yaml", e.File);
        Assert.Equal(2, e.Line);
        Assert.StartsWith("ingress.yaml:2:7: kind Ingress (networking.k8s.io/v1) is not supported by Troupe yet", e.Message);
    }

    [Fact]
    public void ManifestReader_must_refuse_an_unknown_kind_even_when_skipping_unsupported_ones()
    {
        var e = Fails("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n", skipUnsupported: true);
        AssertProblem(e, 2, 7, "", "unknown kind Widget (example.com/v1)");
    }

    [Theory]
    [InlineData("extensions/v1beta1", "Deployment")]
    [InlineData("apps/v1beta2", "Deployment")]
    [InlineData("apps/v1", "Pod")]
    [InlineData("v1", "ReplicaSet")]
    public void ManifestReader_must_refuse_a_known_kind_at_the_wrong_apiVersion(string apiVersion, string kind)
    {
        var e = Fails($"apiVersion: {apiVersion}\nkind: {kind}\nmetadata: {{name: x}}\n");
        AssertProblem(e, 1, 13, "apiVersion", $"{kind} is not served as {apiVersion}; use apiVersion: ");
    }

    [Fact]
    public void ManifestReader_must_require_apiVersion_and_kind()
    {
        var e = Fails("metadata: {name: x}\n");
        Assert.Contains(e.Problems, p => p.Field == "apiVersion" && p.Message == "is required");
        Assert.Contains(e.Problems, p => p.Field == "kind" && p.Message == "is required");
    }

    [Fact]
    public void ManifestReader_must_refuse_unknown_top_level_keys()
    {
        var e = Fails(Corpus.SeedDeployment + "replicas: 3\n");
        AssertProblem(e, 20, 11, "replicas", "unknown field \"replicas\"");
    }

    [Fact]
    public void ManifestReader_must_warn_about_fields_kubernetes_does_not_have()
    {
        var set = ManifestReader.Read(Corpus.SeedDeployment.Replace("  replicas: 3", "  replica: 3"), "d.yaml");
        var w = Assert.Single(set.Warnings);
        Assert.Equal("d.yaml:6:12: spec.replica: unknown field \"replica\"", w.ToString());
    }

    [Fact]
    public void ManifestReader_must_resolve_anchors_aliases_and_merge_keys()
    {
        var set = ManifestReader.Read(Corpus.Anchors, "pod.yaml");
        var pod = Assert.IsType<Pod>(Assert.Single(set.Objects));
        Assert.Equal("Never", pod.Spec.RestartPolicy);
        Assert.Equal(["left", "right"], pod.Spec.Containers.Select(c => c.Name));
        var right = pod.Spec.Containers[1];
        Assert.Equal("busybox:1.36", right.Image);
        Assert.Equal(new[] { "sleep", "3600" }, right.Command.ToArray());
        Assert.Equal(new EnvVar("MODE", "twin"), Assert.Single(right.Env));
        ManifestValidator.Validate(set);
    }

    [Fact]
    public void ManifestReader_must_read_crlf_line_endings_with_the_same_lines()
    {
        var crlf = Corpus.SeedDeployment.Replace("\n", "\r\n").Replace("replicas: 3", "replicas: -1");
        var set = ManifestReader.Read(crlf, "win.yaml");
        Assert.Equal(-1, ((Deployment)set.Objects[0]).Spec.Replicas);
        var e = Assert.Throws<ManifestException>(() => ManifestValidator.Validate(set));
        Assert.Equal("win.yaml:6:13: spec.replicas: must be between 0 and 10000 (Troupe's limit), got -1", e.Message);
    }

    [Fact]
    public void ManifestReader_must_read_a_json_manifest()
    {
        var set = ManifestReader.Read(Corpus.JsonDeployment, "d.json");
        var d = Assert.IsType<Deployment>(Assert.Single(set.Objects));
        Assert.Equal((2, 5000), (d.Spec.Replicas, d.Spec.Template.Spec.Containers[0].Ports[0].ContainerPort));
        ManifestValidator.Validate(set);
    }

    [Fact]
    public void ManifestReader_must_expand_a_list_and_strip_a_bom()
    {
        var set = ManifestReader.Read("\uFEFF" + Corpus.List, "list.yaml");
        Assert.Equal(["one", "two"], set.Objects.Select(o => o.Metadata.Name));
        Assert.Equal(["list.yaml:4", "list.yaml:8"], set.Entries.Select(e => e.Location));
    }

    [Fact]
    public void ManifestReader_must_keep_quoted_numbers_as_strings_and_refuse_them_as_numbers()
    {
        var ok = ManifestReader.Read("""
            apiVersion: v1
            kind: Pod
            metadata: {name: p, labels: {version: "1.0"}}
            spec: {containers: [{name: c, image: busybox, env: [{name: N, value: "42"}]}]}
            """, "p.yaml");
        Assert.Equal("1.0", ok.Objects[0].Metadata.Labels["version"]);

        var e = Fails(Corpus.SeedDeployment.Replace("replicas: 3", "replicas: \"3\""));
        Assert.Equal("app.yaml:6:13: spec.replicas: must be an integer, got string \"3\"; write it without quotes: 3", Assert.Single(e.Problems).ToString());

        var env = Fails("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: busybox\n    env:\n    - name: PORT\n      value: 8080\n");
        AssertProblem(env, 10, 14, "spec.containers[0].env[0].value", "must be a string, got number 8080; quote it: \"8080\"");
    }

    [Theory]
    [InlineData("99999999999999999999", "must be an integer between -2147483648 and 2147483647, got 99999999999999999999")]
    [InlineData("abc", "must be an integer, got string \"abc\"")]
    [InlineData("1.5", "must be an integer, got number 1.5")]
    [InlineData("true", "must be an integer, got boolean true")]
    [InlineData("[1]", "must be an integer, got a list")]
    public void ManifestReader_must_report_numbers_that_do_not_fit(string value, string message)
    {
        var e = Fails(Corpus.SeedDeployment.Replace("replicas: 3", "replicas: " + value));
        var p = Assert.Single(e.Problems);
        Assert.Equal(("app.yaml", 6, 13, "spec.replicas", message), (p.File, p.Line, p.Column, p.Field, p.Message));
    }

    [Fact]
    public void ManifestReader_must_turn_yaml_syntax_errors_into_positioned_problems()
    {
        var e = Fails("apiVersion: v1\nkind: Pod\nmetadata:\n  name: [a, b\nspec: {}\n", "broken.yaml");
        Assert.Equal("broken.yaml", e.File);
        Assert.True(e.Line >= 4, e.Message);
        Assert.StartsWith($"broken.yaml:{e.Line}:{e.Column}: YAML: ", e.Message);
    }

    [Fact]
    public void ManifestReader_must_refuse_duplicate_keys()
    {
        var e = Fails(Corpus.SeedDeployment.Replace("  replicas: 3\n", "  replicas: 3\n  replicas: 4\n"));
        Assert.Equal(7, e.Line);
        Assert.Contains("Duplicate key", e.Message);
    }

    [Fact]
    public void ManifestReader_must_refuse_a_document_that_is_not_a_mapping()
    {
        var e = Fails("- a\n- b\n");
        AssertProblem(e, 1, 1, "", "a manifest document must be a mapping with apiVersion and kind");
    }

    [Fact]
    public void ManifestReader_must_collect_all_problems_of_all_documents()
    {
        var e = Fails(Corpus.SeedDeployment.Replace("replicas: 3", "replicas: x") + "---\n" + Corpus.SeedDeployment.Replace("containerPort: 5000", "containerPort: http"));
        Assert.Equal(2, e.Problems.Length);
        Assert.Equal((6, "spec.replicas"), (e.Problems[0].Line, e.Problems[0].Field));
        Assert.Equal((39, "spec.template.spec.containers[0].ports[0].containerPort"), (e.Problems[1].Line, e.Problems[1].Field));
        Assert.Equal(2, e.Message.Split('\n').Length);
    }

    [Fact]
    public void ManifestReader_must_refuse_a_valueFrom_source_it_does_not_run_naming_the_field()
    {
        var e = Fails("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: busybox\n    env:\n    - name: TOKEN\n      valueFrom: {secretKeyRef: {name: s, key: k}}\n");
        AssertProblem(e, 10, 33, "spec.containers[0].env[0].valueFrom.secretKeyRef", "is not supported by Troupe yet");
        var bad = Assert.Throws<ManifestException>(() => ManifestValidator.Validate(ManifestReader.Read("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: busybox\n    env:\n    - name: X\n      valueFrom: {fieldRef: {fieldPath: status.phase}}\n", "app.yaml")));
        Assert.Contains(bad.Problems, p => p.Field == "spec.containers[0].env[0].valueFrom.fieldRef.fieldPath" && p.Message.Contains("unsupported value \"status.phase\""));
    }

    [Fact]
    public void ManifestReader_must_apply_the_requested_namespace_as_kubectl_does()
    {
        var set = ManifestReader.Read(Corpus.SeedDeployment, "d.yaml", @namespace: "prod");
        Assert.Equal("prod", set.Objects[0].Metadata.Namespace);
        var e = Fails(Corpus.FullDeployment, "web.yaml", ns: "prod");
        AssertProblem(e, 6, 14, "metadata.namespace", "does not match the namespace \"prod\"", "web.yaml");
    }

    [Fact]
    public void ManifestReader_must_read_a_directory_in_name_order()
    {
        var dir = Directory.CreateTempSubdirectory("troupe-manifests-");
        try
        {
            File.WriteAllText(Path.Combine(dir.FullName, "b.yaml"), Corpus.SeedDeployment.Replace("name: myapp\nspec", "name: second\nspec"));
            File.WriteAllText(Path.Combine(dir.FullName, "a.json"), Corpus.JsonDeployment.Replace("\"name\": \"myapp\", \"labels\"", "\"name\": \"first\", \"labels\""));
            File.WriteAllText(Path.Combine(dir.FullName, "notes.txt"), "not a manifest: [");
            var set = ManifestReader.ReadPath(dir.FullName);
            Assert.Equal(["first", "second"], set.Objects.Select(o => o.Metadata.Name));
            Assert.EndsWith("a.json", set.Entries[0].Source.File);

            var missing = Assert.Throws<ManifestException>(() => ManifestReader.ReadPath(Path.Combine(dir.FullName, "nope.yaml")));
            Assert.Contains("no such file or directory", missing.Message);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void ManifestReader_must_refuse_deep_nesting_instead_of_overflowing_the_stack()
    {
        var e = Fails("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: " + new string('[', 100_000) + new string(']', 100_000) + "\n");
        Assert.Contains("YAML: nesting deeper than 100 levels", e.Message);
        Assert.Equal(4, e.Line);
    }

    [Fact]
    public void ManifestReader_must_bound_merge_key_expansion()
    {
        var bomb = new System.Text.StringBuilder("a0: &a0 {x: 1}\n");
        for (var i = 1; i < 12; i++)
            bomb.Append($"a{i}: &a{i} {{<<: [{string.Join(", ", Enumerable.Repeat($"*a{i - 1}", 10))}]}}\n");
        bomb.Append("apiVersion: v1\nkind: Pod\nmetadata:\n  <<: *a11\n  name: p\n");
        var started = System.Diagnostics.Stopwatch.StartNew();
        var e = Fails(bomb.ToString());
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(5), started.Elapsed.ToString());
        Assert.Contains("merge keys (<<) nest or repeat too much", e.Message);
    }

    [Fact]
    public void ManifestReader_must_read_stdin_and_name_it_in_messages()
    {
        var original = Console.In;
        try
        {
            Console.SetIn(new StringReader(Corpus.SeedDeployment));
            Assert.Equal("myapp", Assert.Single(ManifestReader.ReadPath("-").Objects).Metadata.Name);
            Console.SetIn(new StringReader("apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\n"));
            var e = Assert.Throws<ManifestException>(() => ManifestReader.ReadStdin());
            Assert.StartsWith("<stdin>:2:7: kind Job (batch/v1) is not supported by Troupe yet", e.Message);
        }
        finally
        {
            Console.SetIn(original);
        }
    }
}
