using System.Collections.Immutable;
using Troupe.Api.Manifests;
using Troupe.Api.Objects;
using Xunit;

namespace Troupe.Api.Tests.Manifests;

public class ManifestValidatorSpec
{
    /// <summary>The seed Deployment with one line replaced; the problems it has, in order.</summary>
    static ImmutableArray<ManifestProblem> Problems(string yaml, string file = "deployment.yaml") =>
        ManifestValidator.Check(ManifestReader.Read(yaml, file));

    static ManifestProblem Single(string yaml) => Assert.Single(Problems(yaml));

    static string Seed(string from, string to)
    {
        Assert.Contains(from, Corpus.SeedDeployment);
        return Corpus.SeedDeployment.Replace(from, to);
    }

    [Fact]
    public void ManifestValidator_must_accept_the_corpus()
    {
        Assert.Empty(Problems(Corpus.SeedDeployment));
        Assert.Empty(Problems(Corpus.FullDeployment));
        Assert.Empty(Problems(Corpus.Anchors));
        Assert.Empty(Problems(Corpus.JsonDeployment));
        Assert.Empty(Problems(Corpus.List));
    }

    [Fact]
    public void ManifestValidator_must_throw_one_exception_formatted_with_file_line_column_and_field()
    {
        var set = ManifestReader.Read(Seed("replicas: 3", "replicas: -1"), "deployment.yaml");
        var e = Assert.Throws<ManifestException>(() => ManifestValidator.Validate(set));
        Assert.Equal(("deployment.yaml", 6, 13, "spec.replicas"), (e.File, e.Line, e.Column, e.Field));
        Assert.Equal("deployment.yaml:6:13: spec.replicas: must be between 0 and 10000 (Troupe's limit), got -1", e.Message);
        Assert.Equal(e.Message, e.ToString());
    }

    [Theory]
    [InlineData("replicas: 10001", 6, "spec.replicas", "must be between 0 and 10000 (Troupe's limit), got 10001")]
    [InlineData("name: myapp\nspec", 4, "metadata.name", "\"myapp_\" is not a valid name")]
    [InlineData("image: myapp:1.0", 17, "spec.template.spec.containers[0].image", "\"My App\" is not a valid image reference")]
    [InlineData("- name: myapp\n", 16, "spec.template.spec.containers[0].name", "\"Web\" is not a valid DNS label")]
    [InlineData("containerPort: 5000", 19, "spec.template.spec.containers[0].ports[0].containerPort", "must be between 1 and 65535, inclusive, got 70000")]
    public void ManifestValidator_must_locate_each_bad_field(string line, int at, string field, string message)
    {
        var bad = line switch
        {
            "replicas: 10001" => Seed("replicas: 3", line),
            "name: myapp\nspec" => Seed("name: myapp\nspec", "name: myapp_\nspec"),
            "image: myapp:1.0" => Seed(line, "image: My App"),
            "- name: myapp\n" => Seed(line, "- name: Web\n"),
            _ => Seed(line, "containerPort: 70000"),
        };
        var p = Single(bad);
        Assert.Equal(("deployment.yaml", at, field), (p.File, p.Line, p.Field));
        Assert.Contains(message, p.Message);
    }

    [Fact]
    public void ManifestValidator_must_require_a_selector_matching_the_template_labels()
    {
        var mismatch = Single(Seed("        app: myapp\n    spec", "        app: other\n    spec"));
        Assert.Equal("deployment.yaml:12:7: spec.template.metadata.labels: `selector` does not match template `labels`", mismatch.ToString());

        var missing = Single(Seed("  selector:\n    matchLabels:\n      app: myapp\n", ""));
        Assert.Equal(("spec.selector", 5), (missing.Field, missing.Line)); // located at spec, the nearest written ancestor
        Assert.Contains("is required", missing.Message);
    }

    [Fact]
    public void ManifestValidator_must_require_containers_names_and_images()
    {
        var none = Single(Seed("      containers:\n      - name: myapp\n        image: myapp:1.0\n        ports:\n        - containerPort: 5000\n", "      containers: []\n"));
        Assert.Equal(("spec.template.spec.containers", 15), (none.Field, none.Line));

        var ps = Problems(Seed("      - name: myapp\n        image: myapp:1.0\n        ports:\n", "      - ports:\n"));
        Assert.Contains(ps, p => p.Field == "spec.template.spec.containers[0].name" && p.Message == "is required" && p.Line == 16);
        Assert.Contains(ps, p => p.Field == "spec.template.spec.containers[0].image" && p.Message == "is required" && p.Line == 16);
    }

    [Fact]
    public void ManifestValidator_must_refuse_duplicate_container_names_across_init_and_app_containers()
    {
        var p = Single("""
            apiVersion: v1
            kind: Pod
            metadata: {name: p}
            spec:
              initContainers:
              - {name: app, image: busybox}
              containers:
              - {name: app, image: busybox}
            """);
        Assert.Equal(("spec.containers[0].name", 8), (p.Field, p.Line));
        Assert.Contains("duplicate container name \"app\" (also spec.initContainers[0])", p.Message);
    }

    [Fact]
    public void ManifestValidator_must_check_restart_policies()
    {
        var template = Single(Seed("      containers:", "      restartPolicy: Never\n      containers:"));
        Assert.Equal(("spec.template.spec.restartPolicy", 15, 22), (template.Field, template.Line, template.Column));
        Assert.Contains("must be \"Always\"", template.Message);

        Assert.Empty(Problems("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {restartPolicy: OnFailure, containers: [{name: c, image: busybox}]}\n"));
        var bad = Single("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {restartPolicy: Sometimes, containers: [{name: c, image: busybox}]}\n");
        Assert.Equal("deployment.yaml:4:23: spec.restartPolicy: unsupported value \"Sometimes\": supported values are \"Always\", \"OnFailure\" and \"Never\"", bad.ToString());
    }

    [Theory]
    [InlineData("{type: Recreate, rollingUpdate: {maxSurge: 1}}", "spec.strategy.rollingUpdate", "may not be specified when strategy `type` is 'Recreate'")]
    [InlineData("{type: Rolling}", "spec.strategy.type", "unsupported value \"Rolling\"")]
    [InlineData("{rollingUpdate: {maxSurge: 0, maxUnavailable: 0%}}", "spec.strategy.rollingUpdate.maxUnavailable", "may not be 0 when `maxSurge` is 0")]
    [InlineData("{rollingUpdate: {maxSurge: -1}}", "spec.strategy.rollingUpdate.maxSurge", "must be a non-negative integer or a percentage")]
    [InlineData("{rollingUpdate: {maxUnavailable: 150%}}", "spec.strategy.rollingUpdate.maxUnavailable", "must not be greater than 100%")]
    [InlineData("{rollingUpdate: {maxSurge: lots}}", "spec.strategy.rollingUpdate.maxSurge", "got \"lots\"")]
    public void ManifestValidator_must_check_the_strategy(string strategy, string field, string message)
    {
        var p = Single(Seed("  replicas: 3\n", $"  replicas: 3\n  strategy: {strategy}\n"));
        Assert.Equal((7, field), (p.Line, p.Field));
        Assert.Contains(message, p.Message);
    }

    [Fact]
    public void ManifestValidator_must_accept_recreate_and_integer_surge()
    {
        Assert.Empty(Problems(Seed("  replicas: 3\n", "  replicas: 3\n  strategy: {type: Recreate}\n")));
        Assert.Empty(Problems(Seed("  replicas: 3\n", "  replicas: 3\n  strategy: {rollingUpdate: {maxSurge: 0, maxUnavailable: 1}}\n")));
    }

    [Theory]
    [InlineData("protocol: HTTP", "protocol", "unsupported value \"HTTP\"")]
    [InlineData("hostPort: 70000", "hostPort", "must be between 1 and 65535")]
    [InlineData("name: HTTP_PORT", "name", "must contain only lower case")]
    [InlineData("name: a-very-long-port-name", "name", "no more than 15 characters")]
    [InlineData("hostIP: 300.1.1.1", "hostIP", "is not a valid IP address")]
    public void ManifestValidator_must_check_ports(string field, string name, string message)
    {
        var p = Single(Seed("        - containerPort: 5000\n", $"        - containerPort: 5000\n          {field}\n"));
        Assert.Equal(("spec.template.spec.containers[0].ports[0]." + name, 20), (p.Field, p.Line));
        Assert.Contains(message, p.Message);
    }

    [Fact]
    public void ManifestValidator_must_check_labels()
    {
        var ps = Problems(Seed("        app: myapp\n    spec", "        app: myapp\n        \"-bad\": x\n        ok: \"not ok!\"\n        example.com/tier: web\n    spec"));
        Assert.Equal(2, ps.Length);
        Assert.Contains(ps, p => p.Field == "spec.template.metadata.labels[\"-bad\"]" && p.Line == 14 && p.Message.Contains("key \"-bad\" is not valid"));
        Assert.Contains(ps, p => p.Field == "spec.template.metadata.labels.ok" && p.Line == 15 && p.Message.Contains("value \"not ok!\" is not valid"));
        var longValue = Single(Seed("  name: myapp\n", $"  name: myapp\n  labels: {{v: {new string('a', 64)}}}\n"));
        Assert.Equal("metadata.labels.v", longValue.Field);
    }

    [Fact]
    public void ManifestValidator_must_check_names_and_namespaces()
    {
        var longName = Single(Seed("name: myapp\nspec", $"name: {new string('a', 254)}\nspec"));
        Assert.Contains("no more than 253 characters", longName.Message);
        var ns = Single(Seed("  name: myapp\n", "  name: myapp\n  namespace: My.Space\n"));
        Assert.Equal(("metadata.namespace", 5), (ns.Field, ns.Line));
        var missing = Single(Seed("metadata:\n  name: myapp\n", "metadata: {}\n"));
        Assert.Equal(("metadata.name", "is required", 3), (missing.Field, missing.Message, missing.Line));
    }

    [Fact]
    public void ManifestValidator_must_check_resources_as_quantities()
    {
        var ps = Problems(Seed("        ports:", "        resources:\n          requests: {cpu: 2, memory: lots}\n          limits: {cpu: 500m, gpu: 1}\n        ports:"));
        Assert.Equal(3, ps.Length);
        Assert.Contains(ps, p => p.Field == "spec.template.spec.containers[0].resources.requests.memory" && p.Line == 19 && p.Message.Contains("\"lots\" is not a valid quantity"));
        Assert.Contains(ps, p => p.Field == "spec.template.spec.containers[0].resources.requests.cpu" && p.Message.Contains("less than or equal to the cpu limit of 500m"));
        Assert.Contains(ps, p => p.Field == "spec.template.spec.containers[0].resources.limits.gpu" && p.Line == 20 && p.Message.Contains("unknown resource \"gpu\""));
    }

    [Theory]
    [InlineData("nginx")]
    [InlineData("nginx:1.25")]
    [InlineData("library/nginx:latest")]
    [InlineData("docker.io/library/nginx:1.25-alpine")]
    [InlineData("localhost:5000/my-app_x.y__z:v1.0")]
    [InlineData("ghcr.io/org/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    [InlineData("registry.example.com:5000/team/app:1.0@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    public void ManifestValidator_must_accept_well_formed_images(string image) => Assert.Null(NameRules.ImageReference(image));

    [Theory]
    [InlineData("Nginx", "must be lower case")]
    [InlineData("nginx:", "not a valid image reference")]
    [InlineData("nginx:-tag", "not a valid image reference")]
    [InlineData("nginx@sha256:abc", "not a valid image reference")]
    [InlineData(" nginx", "whitespace")]
    [InlineData("my app", "not a valid image reference")]
    [InlineData("a//b", "not a valid image reference")]
    public void ManifestValidator_must_refuse_malformed_images(string image, string message) =>
        Assert.Contains(message, NameRules.ImageReference(image));

    [Fact]
    public void ManifestValidator_must_refuse_the_same_object_twice_in_one_apply()
    {
        var set = ManifestReader.Read(Corpus.SeedDeployment, "a.yaml").Concat(ManifestReader.Read(Corpus.JsonDeployment, "b.json"));
        var p = Assert.Single(ManifestValidator.Check(set));
        Assert.Equal(("b.json", "metadata.name"), (p.File, p.Field));
        Assert.Contains("Deployment default/myapp is defined twice in one apply (first at a.yaml:1)", p.Message);
        // The same name in another namespace, or of another kind, is another object.
        var other = ManifestReader.Read(Corpus.SeedDeployment, "a.yaml").Concat(ManifestReader.Read(Corpus.JsonDeployment, "b.json", @namespace: "prod"));
        Assert.Empty(ManifestValidator.Check(other));
    }

    [Fact]
    public void ManifestValidator_must_collect_problems_of_every_object_before_throwing()
    {
        var set = ManifestReader.Read(Seed("replicas: 3", "replicas: -5") + "---\n" + Corpus.List.Replace("image: busybox}]}\n- api", "image: \"\"}]}\n- api"), "all.yaml");
        var e = Assert.Throws<ManifestException>(() => ManifestValidator.Validate(set));
        Assert.Equal(["spec.replicas", "spec.containers[0].image"], e.Problems.Select(p => p.Field));
    }

    [Fact]
    public void ManifestValidator_must_validate_objects_without_a_source()
    {
        var pod = new Pod { Metadata = new ObjectMeta { Name = "p" }, Spec = new PodSpec { TerminationGracePeriodSeconds = -1 } };
        var problems = ManifestValidator.Check([pod]);
        Assert.Equal(["spec.containers", "spec.terminationGracePeriodSeconds"], problems.Select(p => p.Field));
        Assert.Equal("Pod/p: spec.containers: at least one container is required", problems[0].ToString());
        Assert.Throws<ManifestException>(() => ManifestValidator.Validate([pod]));
    }

    [Theory]
    [InlineData("my_app", false, true)]
    [InlineData("MyApp", false, true)]
    [InlineData("web.1", true, true)]
    [InlineData("_app", false, false)]
    [InlineData("a b", false, false)]
    public void A_pod_of_run_takes_docker_container_names_a_manifest_dns_names(string name, bool asManifest, bool asRun)
    {
        var pod = new Pod
        {
            Metadata = new ObjectMeta { Name = name },
            Spec = new PodSpec { Containers = [new Container { Name = "main", Image = "busybox" }] },
        };
        Assert.Equal(asManifest, ManifestValidator.Check(pod).IsEmpty);
        var run = ManifestValidator.Check(pod, null, dockerName: true);
        Assert.Equal(asRun, run.IsEmpty);
        if (!asRun) Assert.Equal($"Pod/{name}: metadata.name: Invalid container name ({name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", run[0].ToString());
    }
}
