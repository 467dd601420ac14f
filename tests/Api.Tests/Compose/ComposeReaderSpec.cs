using System.Collections.Immutable;
using Troupe.Api.Compose;
using Troupe.Api.Manifests;
using Xunit;

namespace Troupe.Api.Tests.Compose;

/// <summary>Reading compose files: the seed's, list and map forms, short and long syntaxes, errors and warnings with file:line.</summary>
public sealed class ComposeReaderSpec
{
    /// <summary>The seed's compose file (seed-examples.md), exactly.</summary>
    public const string Seed = """
        version: '3'
        services:
          app:
            build: .
            ports:
              - "5000:5000"
            depends_on:
              - db
          db:
            image: postgres:15
            environment:
              POSTGRES_PASSWORD: secret

        """;

    const string Dir = "/srv/myapp";

    internal static ComposeFile Read(string yaml, IReadOnlyDictionary<string, string?>? vars = null, ImmutableArray<string> profiles = default, string? project = null) =>
        ComposeReader.Read(yaml, $"{Dir}/compose.yaml", new ComposeOptions
        {
            Variables = vars ?? new Dictionary<string, string?>(),
            Profiles = profiles.IsDefault ? [] : profiles,
            ProjectName = project,
        });

    static ManifestException Fails(string yaml, IReadOnlyDictionary<string, string?>? vars = null) =>
        Assert.Throws<ManifestException>(() => Read(yaml, vars));

    [Fact]
    public void ComposeReader_must_read_the_seed_example()
    {
        var f = Read(Seed);
        Assert.Equal("myapp", f.Name);
        Assert.Equal(["app", "db"], f.Services.Keys);
        var app = f.Services["app"];
        Assert.Equal(Dir, app.Build!.Context);
        Assert.Equal("Dockerfile", app.Build.Dockerfile);
        Assert.Equal(new ComposePort { Target = 5000, Published = "5000" }, Assert.Single(app.Ports));
        Assert.Equal(new ComposeDependency(ComposeDependency.Started, Required: true), app.DependsOn["db"]);
        Assert.Equal("secret", f.Services["db"].Environment["POSTGRES_PASSWORD"]);
        Assert.Equal("myapp_default", f.Networks["default"].Name);
        var version = Assert.Single(f.Warnings);
        Assert.Equal(1, version.Line);
        Assert.Contains("the attribute `version` is obsolete", version.Message);
    }

    [Fact]
    public void ComposeReader_must_give_the_same_model_for_list_and_map_forms()
    {
        var lists = Read("""
            services:
              web:
                build: ./web
                environment: [A=1, B=true, "C=x=y"]
                depends_on: [db]
                labels: [tier=front]
                ports: ["127.0.0.1:8080:80/udp"]
                networks: [default]
              db: {image: postgres}
            """);
        var maps = Read("""
            services:
              web:
                build:
                  context: web
                  dockerfile: Dockerfile
                environment: {A: 1, B: true, C: x=y}
                depends_on:
                  db:
                    condition: service_started
                labels: {tier: front}
                ports:
                  - target: 80
                    published: 8080
                    host_ip: 127.0.0.1
                    protocol: udp
                networks:
                  default: {}
              db: {image: postgres}
            """);
        var a = lists.Services["web"];
        var b = maps.Services["web"];
        Assert.Equal(a.Build, b.Build);
        Assert.Equal("/srv/myapp/web", a.Build!.Context);
        Assert.Equal(a.Environment, b.Environment);
        Assert.Equal("x=y", a.Environment["C"]);
        Assert.Equal("true", b.Environment["B"]);
        Assert.Equal(a.DependsOn, b.DependsOn);
        Assert.Equal(a.Labels, b.Labels);
        Assert.Equal(a.Ports.AsEnumerable(), b.Ports);
        Assert.Equal(a.Networks.Keys, b.Networks.Keys);
    }

    [Fact]
    public void ComposeReader_must_be_liberal_in_what_the_specification_allows()
    {
        var f = Read("""
            x-common: &common
              restart: unless-stopped
            services:
              web:
                <<: *common
                image: nginx
                ports: [80, "8000-8001:9000-9001"]
                command: ["npm", "start"]
                entrypoint: /bin/sh -c 'echo "a b"'
                healthcheck:
                  test: ["CMD", "curl", "-f", "http://localhost"]
                  interval: 1m30s
                  timeout: 500ms
                  retries: 5
                volumes: [data:/data, "./site:/usr/share/nginx/html:ro", /logs]
                deploy:
                  replicas: 3
                  resources:
                    limits: {cpus: 0.5, memory: 512M, pids: 100}
                x-extra: ignored
                env_file: [.env.web, {path: ./opt.env, required: false}]
                stop_grace_period: 1m
              worker:
                image: busybox
                restart: "on-failure:3"
                healthcheck: {test: curl -f localhost || exit 1}
            volumes:
              data:
              cache: {}
            networks:
              front: {}
              back: {driver: bridge}
            """);
        var web = f.Services["web"];
        Assert.Equal("unless-stopped", web.Restart);
        Assert.Equal([80, 9000, 9001], web.Ports.Select(p => p.Target));
        Assert.Equal([null, "8000", "8001"], web.Ports.Select(p => p.Published));
        Assert.Equal(["npm", "start"], web.Command!.Value.AsEnumerable());
        Assert.Equal(["/bin/sh", "-c", "echo \"a b\""], web.Entrypoint!.Value.AsEnumerable());
        Assert.Equal(["CMD", "curl", "-f", "http://localhost"], web.Healthcheck!.Test.AsEnumerable());
        Assert.Equal(TimeSpan.FromSeconds(90), web.Healthcheck.Interval);
        Assert.Equal(TimeSpan.FromMilliseconds(500), web.Healthcheck.Timeout);
        Assert.Equal(5, web.Healthcheck.Retries);
        Assert.Equal(new ComposeMount { Type = "volume", Source = "data", Target = "/data" }, web.Volumes[0]);
        Assert.Equal(new ComposeMount { Type = "bind", Source = "/srv/myapp/site", Target = "/usr/share/nginx/html", ReadOnly = true, CreateHostPath = true }, web.Volumes[1]);
        Assert.Equal(new ComposeMount { Type = "volume", Target = "/logs" }, web.Volumes[2]);
        Assert.Equal(3, web.Replicas);
        Assert.Equal(new ComposeResources("0.5", 512L << 20, 100), web.Limits);
        Assert.Equal([new ComposeEnvFile("/srv/myapp/.env.web"), new ComposeEnvFile("/srv/myapp/opt.env", Required: false)], web.EnvFiles.AsEnumerable());
        Assert.Equal(TimeSpan.FromMinutes(1), web.StopGracePeriod);
        Assert.Equal("on-failure:3", f.Services["worker"].Restart);
        Assert.Equal(["CMD-SHELL", "curl -f localhost || exit 1"], f.Services["worker"].Healthcheck!.Test.AsEnumerable());
        Assert.Equal(["cache", "data"], f.Volumes.Keys);
        Assert.Equal("myapp_data", f.Volumes["data"].Name);
        Assert.Equal("bridge", f.Networks["back"].Driver);
        Assert.Empty(f.Warnings);
    }

    [Fact]
    public void ComposeReader_must_refuse_an_unknown_key_naming_it_with_its_line()
    {
        var e = Fails("""
            services:
              web:
                image: nginx
                imagee: nginx
            """);
        Assert.Equal("/srv/myapp/compose.yaml:4:5: services.web.imagee: unknown key", e.Problems[0].ToString());
        Assert.Equal("unknown key", Fails("services: {web: {image: nginx}}\nservicez: {}\n").Problems[0].Message);
        Assert.Equal("services.web.healthcheck.tests", Fails("services: {web: {image: a, healthcheck: {tests: x}}}").Field);
        // a volume's name is a folder of the node's volumes, never a path
        var path = Fails("services: {web: {image: a, volumes: [data:/d]}}\nvolumes: {data: {name: ../../etc}}\n");
        Assert.Equal("volumes.data.name", path.Field);
        Assert.Contains("invalid volume name \"../../etc\"", path.Problems[0].Message);
    }

    [Fact]
    public void ComposeReader_must_warn_about_keys_the_specification_has_and_Troupe_does_not_run()
    {
        var f = Read("""
            services:
              web:
                image: nginx
                cap_add: [NET_ADMIN]
                logging: {driver: json-file}
                deploy: {placement: {constraints: []}}
                build: {context: ., cache_from: [x]}
            configs:
              c: {file: ./c.txt}
            """);
        Assert.Equal(["configs", "services.web.cap_add", "services.web.logging", "services.web.deploy.placement", "services.web.build.cache_from"],
            f.Warnings.Select(w => w.Field));
        Assert.Equal(4, f.Warnings[1].Line);
    }

    [Theory]
    [InlineData("services: {web: {build: .}}\n", "myapp")]
    [InlineData("name: shop\nservices: {web: {build: .}}\n", "shop")]
    public void ComposeReader_must_name_the_project_from_name_or_the_folder(string yaml, string expected) =>
        Assert.Equal(expected, Read(yaml).Name);

    [Fact]
    public void ComposeReader_must_prefer_p_and_normalise_folder_names()
    {
        Assert.Equal("given", Read("name: shop\nservices: {web: {image: a}}", project: "given").Name);
        var f = ComposeReader.Read("services: {web: {image: a}}", "/x/My.App_1/compose.yaml");
        Assert.Equal("myapp_1", f.Name);
        Assert.Contains("invalid project name", Assert.Throws<ManifestException>(() => Read("name: My App\nservices: {web: {image: a}}")).Message);
    }

    [Fact]
    public void ComposeReader_must_refuse_a_dependency_cycle_naming_it()
    {
        var e = Fails("""
            services:
              a: {image: x, depends_on: [b]}
              b: {image: x, depends_on: {a: {condition: service_healthy}}}
            """);
        Assert.Equal("services.a.depends_on", e.Field);
        Assert.Equal("dependency cycle a -> b -> a", e.Problems[0].Message);
        Assert.Equal(2, e.Line);
    }

    [Fact]
    public void ComposeReader_must_refuse_references_to_what_is_not_declared()
    {
        Assert.Contains("depends on undefined service \"dbb\"", Fails("services: {a: {image: x, depends_on: [dbb]}}").Message);
        Assert.Contains("refers to undefined volume data", Fails("services: {a: {image: x, volumes: [data:/d]}}").Message);
        Assert.Contains("refers to undefined secret pw", Fails("services: {a: {image: x, secrets: [pw]}}").Message);
        Assert.Contains("refers to undefined network back", Fails("services: {a: {image: x, networks: [back]}}").Message);
        Assert.Contains("neither an image nor a build context", Fails("services: {a: {command: ls}}").Message);
    }

    [Theory]
    [InlineData("deploy: {replicas: -1}", "services.a.deploy.replicas")]
    [InlineData("deploy: {replicas: 100000}", "services.a.deploy.replicas")]
    [InlineData("ports: [\"70000:80\"]", "services.a.ports[0]")]
    [InlineData("ports: [{target: 0}]", "services.a.ports[0].target")]
    [InlineData("healthcheck: {test: [CMD, x], interval: 10 seconds}", "services.a.healthcheck.interval")]
    [InlineData("stop_grace_period: soon", "services.a.stop_grace_period")]
    [InlineData("restart: sometimes", "services.a.restart")]
    [InlineData("deploy: {resources: {limits: {memory: lots}}}", "services.a.deploy.resources.limits.memory")]
    [InlineData("depends_on: {b: {condition: service_ready}}", "services.a.depends_on.b.condition")]
    [InlineData("healthcheck: {test: [curl, x]}", "services.a.healthcheck.test")]
    [InlineData("volumes: [\"data:relative\"]", "services.a.volumes[0]")]
    public void ComposeReader_must_refuse_bad_values_naming_the_field(string yaml, string field)
    {
        var e = Fails($"services:\n  a:\n    image: x\n    {yaml}\n  b: {{image: y}}\n");
        Assert.Equal(field, e.Field);
        Assert.Equal(4, e.Line);
    }

    [Fact]
    public void ComposeReader_must_warn_once_about_an_unset_variable_and_make_it_blank()
    {
        var f = Read("""
            services:
              web:
                image: "nginx${UNSET}"
                environment:
                  A: ${UNSET}
                  B: ${UNSET:-quiet}
            """);
        Assert.Equal("nginx", f.Services["web"].Image);
        Assert.Equal("", f.Services["web"].Environment["A"]);
        var w = Assert.Single(f.Warnings);
        Assert.Equal(3, w.Line);
        Assert.Contains("the \"UNSET\" variable is not set, defaulting to a blank string", w.Message);
    }

    [Fact]
    public void ComposeReader_must_interpolate_values_from_the_variables()
    {
        var vars = new Dictionary<string, string?> { ["TAG"] = "1.2", ["EMPTY"] = "", ["N"] = "2", ["PORT"] = "8080" };
        var f = Read("""
            services:
              web:
                image: "nginx:${TAG}"
                environment:
                  A: ${MISSING:-fallback}
                  B: ${EMPTY-kept}
                  C: $${NOT_A_VAR}
                  D: ${TAG:+set}
                  E: $TAG
                  F: ${EMPTY:-${TAG}}
                ports: ["${PORT}:80"]
                deploy: {replicas: $N}
            """, vars);
        var web = f.Services["web"];
        Assert.Equal("nginx:1.2", web.Image);
        Assert.Equal("fallback", web.Environment["A"]);
        Assert.Equal("", web.Environment["B"]);
        Assert.Equal("${NOT_A_VAR}", web.Environment["C"]);
        Assert.Equal("set", web.Environment["D"]);
        Assert.Equal("1.2", web.Environment["E"]);
        Assert.Equal("1.2", web.Environment["F"]);
        Assert.Equal("8080", web.Ports[0].Published);
        Assert.Equal(2, web.Replicas);
    }

    [Fact]
    public void ComposeReader_must_refuse_a_required_variable_that_is_unset_with_its_message()
    {
        var e = Fails("services:\n  web:\n    image: ${IMAGE:?set IMAGE to the image to run}\n");
        Assert.Equal("/srv/myapp/compose.yaml:3:12: services.web.image: required variable IMAGE is missing a value: set IMAGE to the image to run", e.Problems[0].ToString());
    }

    [Fact]
    public void ComposeReader_must_take_environment_names_without_values_from_the_variables()
    {
        var f = Read("services: {web: {image: x, environment: [HOME_DIR, UNSET], build: {context: ., args: [V]}}}",
            new Dictionary<string, string?> { ["HOME_DIR"] = "/h", ["V"] = "1" });
        Assert.Equal("/h", f.Services["web"].Environment["HOME_DIR"]);
        Assert.Null(f.Services["web"].Environment["UNSET"]);
        Assert.Equal("1", f.Services["web"].Build!.Args["V"]);
    }

    const string WithProfiles = """
        services:
          web: {image: x}
          debug: {image: y, profiles: [dev]}
          tools: {image: z, profiles: [dev, ops]}
        """;

    [Fact]
    public void ComposeReader_must_leave_out_services_of_inactive_profiles()
    {
        Assert.Equal(["web"], Read(WithProfiles).Services.Keys);
        Assert.Equal(["debug", "tools"], Read(WithProfiles).InactiveServices.AsEnumerable());
        Assert.Equal(["tools", "web"], Read(WithProfiles, profiles: ["ops"]).Services.Keys);
        Assert.Equal(["debug", "tools", "web"], Read(WithProfiles, new Dictionary<string, string?> { ["COMPOSE_PROFILES"] = "dev" }).Services.Keys);
        Assert.Equal(["dev", "ops"], Read(WithProfiles).DeclaredProfiles.AsEnumerable());
    }

    [Fact]
    public void ComposeReader_must_refuse_a_dependency_on_an_inactive_service()
    {
        var e = Fails(WithProfiles + "\n  app: {image: a, depends_on: [debug]}\n");
        Assert.Equal("services.app.depends_on.debug", e.Field);
        Assert.Contains("not enabled by the active profiles", e.Problems[0].Message);
    }

    [Fact]
    public void ComposeReader_must_read_secrets()
    {
        var f = Read("""
            services:
              db:
                image: postgres
                secrets: [pw, {source: key, target: api.key, mode: 0440}]
            secrets:
              pw: {file: ./pw.txt}
              key: {environment: API_KEY}
            """);
        Assert.Equal("/srv/myapp/pw.txt", f.Secrets["pw"].File);
        Assert.Equal("API_KEY", f.Secrets["key"].Environment);
        Assert.Equal("/run/secrets/pw", f.Services["db"].Secrets[0].MountPath);
        Assert.Equal("/run/secrets/api.key", f.Services["db"].Secrets[1].MountPath);
        Assert.Equal(0x120, f.Services["db"].Secrets[1].Mode);
    }

    [Fact]
    public void ComposeReader_must_report_YAML_syntax_errors_with_their_position()
    {
        var e = Fails("services:\n  web:\n    image: [nginx\n");
        Assert.StartsWith("YAML:", e.Problems[0].Message);
    }

    [Fact]
    public void ComposeGraph_must_order_services_after_their_dependencies()
    {
        var f = Read("""
            services:
              web: {image: x, depends_on: {api: {condition: service_healthy}}}
              api: {image: x, depends_on: [db, cache]}
              db: {image: x}
              cache: {image: x}
              migrate: {image: x, depends_on: [db]}
            """);
        var order = ComposeGraph.StartOrder(f);
        Assert.Equal(["cache", "db", "api", "migrate", "web"], order.Select(s => s.Service));
        Assert.Equal(ComposeDependency.Healthy, order[^1].WaitFor["api"].Condition);
    }
}
