using Troupe.Api.Compose;
using Troupe.Api.Manifests;
using Troupe.Api.Objects;
using Xunit;

namespace Troupe.Api.Tests.Compose;

/// <summary>Compose services as the Kubernetes objects Troupe runs; everything produced passes the validator.</summary>
public sealed class ComposeTranslatorSpec : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("troupe-compose-").FullName;
    public void Dispose() => Directory.Delete(dir, true);

    ComposeTranslation Translate(string yaml, string? volumesRoot = null)
    {
        var file = ComposeReader.Read(yaml, Path.Combine(dir, "compose.yaml"), new ComposeOptions { ProjectName = "shop" });
        var t = ComposeTranslator.Translate(file, new ComposeTranslatorOptions { VolumesRoot = volumesRoot });
        foreach (var o in t.Objects) Assert.Empty(ManifestValidator.Check(o));
        return t;
    }

    static Deployment ProtocolJsonRoundTrip(Deployment d) => (Deployment)Troupe.Api.Protocol.ProtocolJson.DeserializeObject(Troupe.Api.Protocol.ProtocolJson.Serialize(d));

    static Deployment Deploy(ComposeTranslation t, string service) => Assert.IsType<Deployment>(t.Plans.Single(p => p.Service == service).Workload);
    static Container Ctr(ComposeTranslation t, string service) => Deploy(t, service).Spec.Template.Spec.Containers.Single();

    [Fact]
    public void ComposeTranslator_must_translate_the_seed_example()
    {
        var t = Translate(ComposeReaderSpec.Seed);
        Assert.Equal(["db", "app"], t.Plans.Select(p => p.Service));
        var app = Deploy(t, "app");
        Assert.Equal("shop-app", app.Metadata.Name);
        Assert.Equal(1, app.Spec.Replicas);
        // compose recreates: the old container stops before the new one starts (never two on one volume)
        Assert.Equal("Recreate", app.Spec.Strategy.Type);
        Assert.Null(ProtocolJsonRoundTrip(app).Spec.Strategy.RollingUpdate);
        Assert.Equal("shop-app:latest", Ctr(t, "app").Image);
        Assert.Equal(5000, Assert.Single(Ctr(t, "app").Ports).ContainerPort);
        Assert.Equal("shop-app:latest", t.Plans[1].Build!.Image);
        Assert.Equal(dir, t.Plans[1].Build!.Context);
        var svc = Assert.Single(t.Plans[1].Services);
        Assert.Equal(("app", "LoadBalancer", 5000), (svc.Metadata.Name, svc.Spec.Type, svc.Spec.Ports.Single().Port));
        Assert.Equal(app.Spec.Selector.MatchLabels, svc.Spec.Selector);
        Assert.Equal(new EnvVar("POSTGRES_PASSWORD", "secret"), Assert.Single(Ctr(t, "db").Env));
        var db = Assert.Single(t.Plans[0].Services);
        Assert.Equal("None", db.Spec.ClusterIP); // no ports: a headless Service, so the name still resolves
        Assert.Equal("service_started", t.Plans[1].Step.WaitFor["db"].Condition);
        Assert.Equal("shop", app.Spec.Template.Metadata.Labels["com.docker.compose.project"]);
        Assert.Equal("app", app.Spec.Template.Metadata.Labels["com.docker.compose.service"]);
    }

    [Fact]
    public void ComposeTranslator_must_map_commands_env_resources_and_healthchecks()
    {
        File.WriteAllText(Path.Combine(dir, "web.env"), "FROM_FILE=1\nOVERRIDDEN=file\n");
        var t = Translate("""
            services:
              web:
                image: nginx
                entrypoint: ["/docker-entrypoint.sh"]
                command: nginx -g 'daemon off;'
                env_file: web.env
                environment: {OVERRIDDEN: env, N: 3}
                working_dir: /srv
                user: "1000:1000"
                deploy:
                  replicas: 3
                  resources: {limits: {cpus: "0.5", memory: 64m, pids: 50}}
                healthcheck:
                  test: curl -f http://localhost/ || exit 1
                  interval: 15s
                  timeout: 2s
                  retries: 4
                  start_period: 1m
                stop_grace_period: 20s
                container_name: front
                init: true
                restart: "no"
            """);
        var d = Deploy(t, "web");
        var c = Ctr(t, "web");
        Assert.Equal(3, d.Spec.Replicas);
        Assert.Equal(["/docker-entrypoint.sh"], c.Command.AsEnumerable());
        Assert.Equal(["nginx", "-g", "daemon off;"], c.Args.AsEnumerable());
        Assert.Equal([new EnvVar("FROM_FILE", "1"), new EnvVar("OVERRIDDEN", "env"), new EnvVar("N", "3")], c.Env.AsEnumerable());
        Assert.Equal("/srv", c.WorkingDir);
        Assert.Equal(new SecurityContext { RunAsUser = 1000, RunAsGroup = 1000 }, c.SecurityContext);
        Assert.Equal("0.5", c.Resources.Limits["cpu"]);
        Assert.Equal("67108864", c.Resources.Limits["memory"]);
        var probe = c.ReadinessProbe!;
        Assert.Equal(["/bin/sh", "-c", "curl -f http://localhost/ || exit 1"], probe.Exec!.Command.AsEnumerable());
        Assert.Equal((15, 2, 4, 60), (probe.PeriodSeconds, probe.TimeoutSeconds, probe.FailureThreshold, probe.InitialDelaySeconds));
        Assert.Equal(20, d.Spec.Template.Spec.TerminationGracePeriodSeconds);
        var a = d.Spec.Template.Metadata.Annotations;
        Assert.Equal("front", a[ComposeTranslator.ContainerNameAnnotation]);
        Assert.Equal("no", a[ComposeTranslator.RestartAnnotation]);
        Assert.Equal("true", a[PodAnnotations.Init]);
        Assert.Equal("50", a[PodAnnotations.PidsLimit]);
        Assert.Equal("Always", d.Spec.Template.Spec.RestartPolicy);
        Assert.Contains(t.Warnings, w => w.Field == "services.web.restart");
    }

    [Fact]
    public void ComposeTranslator_must_map_CMD_healthchecks_to_an_exec_list()
    {
        var t = Translate("services: {db: {image: postgres, healthcheck: {test: [CMD, pg_isready, -U, postgres]}}}");
        var p = Ctr(t, "db").ReadinessProbe!;
        Assert.Equal(["pg_isready", "-U", "postgres"], p.Exec!.Command.AsEnumerable());
        Assert.Equal((30, 30, 3), (p.PeriodSeconds, p.TimeoutSeconds, p.FailureThreshold));
        Assert.Null(Ctr(Translate("services: {db: {image: x, healthcheck: {test: [NONE]}}}"), "db").ReadinessProbe);
    }

    [Fact]
    public void ComposeTranslator_must_map_volumes_and_secrets()
    {
        File.WriteAllText(Path.Combine(dir, "pw.txt"), "hunter2");
        Directory.CreateDirectory(Path.Combine(dir, "site"));
        var yaml = """
            services:
              web:
                image: nginx
                volumes: [data:/data, ./site:/usr/share/nginx/html:ro, {type: tmpfs, target: /cache}, /anon]
                secrets: [pw]
            volumes: {data: {}}
            secrets: {pw: {file: ./pw.txt}}
            """;
        var spec = Deploy(Translate(yaml, volumesRoot: "/var/lib/troupe/shop"), "web").Spec.Template.Spec;
        Assert.Equal(new HostPathVolumeSource("/var/lib/troupe/shop/shop_data", "DirectoryOrCreate"), spec.Volumes[0].HostPath);
        Assert.Equal(new HostPathVolumeSource(Path.Combine(dir, "site")), spec.Volumes[1].HostPath);
        Assert.Equal("Memory", spec.Volumes[2].EmptyDir!.Medium);
        Assert.NotNull(spec.Volumes[3].EmptyDir);
        Assert.Equal(new HostPathVolumeSource(Path.Combine(dir, "pw.txt"), "File"), spec.Volumes[4].HostPath);
        var mounts = spec.Containers[0].VolumeMounts;
        Assert.Equal(["/data", "/usr/share/nginx/html", "/cache", "/anon", "/run/secrets/pw"], mounts.Select(m => m.MountPath));
        Assert.True(mounts[1].ReadOnly);
        Assert.True(mounts[4].ReadOnly);
        var troupe = Deploy(Translate(yaml), "web").Spec.Template.Spec;
        Assert.Equal(new NamedVolumeSource("shop_data"), troupe.Volumes[0].TroupeVolume);
    }

    [Fact]
    public void ComposeTranslator_must_give_services_a_cluster_address_on_their_container_ports()
    {
        var t = Translate("""
            services:
              db: {image: postgres, ports: ["5433:5432"]}
              api: {image: api, expose: ["3000"]}
            """);
        var db = t.Plans.Single(p => p.Service == "db").Services;
        Assert.Equal(("db", "ClusterIP", 5432), (db[0].Metadata.Name, db[0].Spec.Type, db[0].Spec.Ports[0].Port));
        Assert.Equal(("db-published", "LoadBalancer", 5433, "5432"), (db[1].Metadata.Name, db[1].Spec.Type, db[1].Spec.Ports[0].Port, db[1].Spec.Ports[0].TargetPort!.Value.Value));
        var api = Assert.Single(t.Plans.Single(p => p.Service == "api").Services);
        Assert.Equal(("ClusterIP", 3000), (api.Spec.Type, api.Spec.Ports[0].Port));
    }

    [Fact]
    public void ComposeTranslator_must_run_a_service_others_wait_to_complete_as_a_pod()
    {
        var t = Translate("""
            services:
              migrate: {image: app, command: migrate}
              web: {image: app, depends_on: {migrate: {condition: service_completed_successfully}}}
            """);
        var pod = Assert.IsType<Pod>(t.Plans[0].Workload);
        Assert.Equal(("shop-migrate-1", "Never"), (pod.Metadata.Name, pod.Spec.RestartPolicy));
        Assert.IsType<Deployment>(t.Plans[1].Workload);
    }

    [Fact]
    public void ComposeTranslator_must_refuse_a_missing_required_env_file_and_clashing_host_ports()
    {
        var e = Assert.Throws<ManifestException>(() => Translate("services: {web: {image: x, env_file: missing.env}}"));
        Assert.Equal("services.web.env_file[0]", e.Field);
        var secret = Assert.Throws<ManifestException>(() => Translate("services: {web: {image: x, secrets: [pw]}}\nsecrets: {pw: {file: ./nope.txt}}"));
        Assert.Equal("services.web.secrets[0]", secret.Field);
        Assert.Contains("secret \"pw\": file", secret.Message);
        Assert.Contains("nope.txt not found", secret.Message);
        Translate("services: {web: {image: x, env_file: [{path: missing.env, required: false}]}}");
        var clash = Assert.Throws<ManifestException>(() => Translate("services: {a: {image: x, ports: ['80:80']}, b: {image: y, ports: ['80:8080']}}"));
        Assert.Contains("host port 80 is published by \"a\" too", clash.Message);
    }

    [Fact]
    public void ComposeTranslator_must_make_valid_names_of_compose_names()
    {
        var t = Translate("services: {My_Service.1: {image: x, labels: {com.example.tier: web}}}");
        Assert.Equal("shop-my-service-1", t.Plans[0].Workload.Metadata.Name);
        Assert.Equal("my-service-1", t.Plans[0].Services[0].Metadata.Name);
        Assert.Equal("web", Deploy(t, "My_Service.1").Spec.Template.Metadata.Annotations["com.example.tier"]);
    }
}
