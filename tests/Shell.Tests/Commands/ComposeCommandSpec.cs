using Xunit;

namespace Troupe.Shell.Tests.Commands;

/// <summary><c>troupe compose config</c> in a temporary project folder; no node is needed.</summary>
public sealed class ComposeCommandSpec : IDisposable
{
    readonly TempHome _home = new();
    public void Dispose() => _home.Dispose();

    string Project(string yaml, string name = "compose.yaml", string folder = "webshop")
    {
        var dir = Path.Combine(_home.Path, folder);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, name), yaml);
        return dir;
    }

    ShellRun Compose(string dir, Dictionary<string, string?>? env = null, params string[] args)
    {
        env ??= [];
        env["TROUPE_HOME"] = _home.Path;
        return ShellRun.Of(env, ["compose", "--project-directory", dir, .. args]);
    }

    [Fact]
    public void Compose_config_must_print_the_seed_file_normalised_and_warn_about_version()
    {
        var dir = Project("""
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
            """, "docker-compose.yml");
        var r = Compose(dir, null, "config");
        Assert.Equal(0, r.ExitCode);
        Assert.StartsWith("name: webshop\nservices:\n  app:\n    build:\n      context: " + dir + "\n", r.Stdout);
        Assert.Contains("networks:\n  default:\n    name: webshop_default\n", r.Stdout);
        Assert.StartsWith("warning: ", r.Stderr);
        Assert.Contains("the attribute `version` is obsolete", r.Stderr);
    }

    [Fact]
    public void Compose_config_must_fail_with_one_line_naming_the_file_line_and_key()
    {
        var dir = Project("services:\n  web:\n    image: nginx\n    imagee: nginx\n");
        var r = Compose(dir, null, "config");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("", r.Stdout);
        Assert.EndsWith("compose.yaml:4:5: services.web.imagee: unknown key", r.ErrorLine);
    }

    [Fact]
    public void Compose_config_must_interpolate_from_dot_env_and_let_the_environment_win()
    {
        var dir = Project("services:\n  web:\n    image: nginx:${TAG}\n    environment:\n      - WHO=${WHO:-nobody}\n");
        File.WriteAllText(Path.Combine(dir, ".env"), "TAG=1.25\nWHO=file\n");
        var r = Compose(dir, new() { ["WHO"] = "env" }, "config");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("image: nginx:1.25", r.Stdout);
        Assert.Contains("WHO: env", r.Stdout);
    }

    [Fact]
    public void Compose_config_must_take_p_profiles_and_list_services()
    {
        var dir = Project("services:\n  web: {image: a}\n  debug: {image: b, profiles: [dev]}\n");
        Assert.Equal("web\n", Compose(dir, null, "config", "--services").Stdout);
        Assert.Equal("debug\nweb\n", Compose(dir, null, "--profile", "dev", "config", "--services").Stdout);
        Assert.Equal("debug\nweb\n", Compose(dir, new() { ["COMPOSE_PROFILES"] = "dev" }, "config", "--services").Stdout);
        Assert.StartsWith("name: other\n", Compose(dir, null, "-p", "other", "config").Stdout);
        Assert.StartsWith("{", Compose(dir, null, "config", "--format", "json").Stdout);
        Assert.Equal("", Compose(dir, null, "config", "-q").Stdout);
    }

    [Fact]
    public void Compose_config_must_read_the_file_given_with_f()
    {
        var dir = Project("services: {web: {image: a}}\n", "other.yaml");
        var r = Compose(dir, null, "-f", Path.Combine(dir, "other.yaml"), "config", "--services");
        Assert.Equal((0, "web\n"), (r.ExitCode, r.Stdout));
    }

    [Fact]
    public void Compose_must_say_when_no_file_is_found_and_what_is_not_implemented()
    {
        var dir = Path.Combine(_home.Path, "empty");
        Directory.CreateDirectory(dir);
        var r = Compose(dir, null, "config");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("no configuration file provided", r.ErrorLine);
        var restart = Compose(Project("services: {web: {image: a}}\n"), null, "restart");
        Assert.Equal(1, restart.ExitCode);
        Assert.Contains("compose restart\" is not implemented yet", restart.ErrorLine);
        Assert.Equal(2, Compose(dir, null, "frobnicate").ExitCode);
    }

    [Fact]
    public void Compose_Load_must_translate_for_up()
    {
        var dir = Project("services:\n  db: {image: postgres}\n  app: {build: ., depends_on: [db]}\n");
        var ctx = new ShellContext(new StringWriter(), new StringWriter(), new Dictionary<string, string?>());
        var loaded = Shell.Commands.ComposeCommand.Load(ctx, new Shell.Commands.ComposeArgs(null, null, [], dir));
        Assert.Equal(["db", "app"], loaded.Translation.Plans.Select(p => p.Service));
        Assert.Equal("webshop-app:latest", loaded.Translation.Plans[1].Build!.Image);
    }
}
