using System.Net.Sockets;
using Troupe.Integration.Tests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace Troupe.Integration.Tests.Workloads;

/// <summary>
/// <c>troupe compose</c> on one real node (runc) with the example project of <c>config/examples/web/compose.yaml</c>:
/// the web app built from its folder waits for the store to be healthy, reaches it by its service name, answers on
/// the published port; ps, logs and down work on the project.
/// </summary>
public sealed class ComposeSpec(NodeFixture node, ITestOutputHelper output) : IClassFixture<NodeFixture>
{
    static readonly TimeSpan Long = TimeSpan.FromSeconds(120);

    [SkippableFact]
    public void Compose_up_starts_the_web_app_after_its_healthy_store_and_down_removes_the_project()
    {
        Requirements.Runc();
        var cli = node.Start(output, "compose");
        var port = Ports.Free();
        // the example project, in a folder of its own: its build context stays the example's, the port a free one,
        // the greeting from the project's .env
        var dir = Directory.CreateTempSubdirectory("troupe-compose-").FullName;
        var example = File.ReadAllText(RepoRoot.File("config", "examples", "web", "compose.yaml"))
            .Replace("build: .", $"build: {RepoRoot.File("config", "examples", "web")}")
            .Replace("image: example-web:1.0", "image: example-web:compose")
            .Replace("\"5000:5000\"", $"\"{port}:5000\"")
            .Replace("name: demo", "name: shop");
        File.WriteAllText(Path.Combine(dir, "compose.yaml"), example);
        File.WriteAllText(Path.Combine(dir, ".env"), "# the store's answer\nGREETING=hello from the env file\n");
        var f = Path.Combine(dir, "compose.yaml");

        var config = cli.Expect(0, "compose", "-f", f, "config");
        Assert.Contains("GREETING: hello from the env file", config.Stdout);

        var up = cli.Expect(0, Long, "compose", "-f", f, "up", "-d");
        output.WriteLine(up.Stderr);
        var healthy = up.Stderr.IndexOf("Service store", StringComparison.Ordinal) is var s and >= 0 ? up.Stderr.IndexOf("Healthy", s, StringComparison.Ordinal) : -1;
        var webCreated = up.Stderr.IndexOf(" ✔ Service web", StringComparison.Ordinal);
        Assert.True(healthy >= 0 && webCreated > healthy, $"web was not started after the store was healthy:\n{up.Stderr}");

        // containers named <project>-<service>-<n>; the web app reaches the store by its name
        var ps = Eventually.Until("three running containers", Long, () => cli.Expect(0, "compose", "-f", f, "ps").Stdout,
            o => o.Split('\n').Count(l => l.Contains("Running")) == 3, o => o);
        Assert.Matches(@"(?m)^shop-store-1\s+busybox\s+store\s", ps);
        Assert.Matches(@"(?m)^shop-web-1\s+example-web:compose\s+web\s", ps);
        Assert.Matches(@"(?m)^shop-web-2\s+example-web:compose\s+web\s", ps);
        Assert.Contains($"0.0.0.0:{port}->5000/tcp", ps);
        var answer = Eventually.Until("the web app to answer through the store", Long, () => Http.TryGet($"http://127.0.0.1:{port}/cgi-bin/store"),
            a => a.Contains("asked store:"), a => a);
        Assert.Matches(@"^web shop-web-[12] asked store: hello from the env file$", answer);
        Eventually.Until("both web containers to answer", Long, () => Http.TryGet($"http://127.0.0.1:{port}/cgi-bin/pod"), a => a == "pod: shop-web-2", a => a);

        // logs of one service, prefixed with its containers
        var logs = Eventually.Until("the store's log", Long, () => cli.Expect(0, "compose", "-f", f, "logs", "store").Stdout,
            l => l.Contains("shop-store-1  | store serving: hello from the env file\n"), l => l);
        Assert.DoesNotContain("shop-web-", logs);

        // up again: nothing changed, nothing recreated
        var again = cli.Expect(0, Long, "compose", "-f", f, "up", "-d");
        Assert.Contains("Running", again.Stderr);
        Assert.DoesNotContain("Recreated", again.Stderr);

        // a changed service is recreated as docker compose does it: the old container goes before the new one
        // starts (Recreate), and the new one has the old one's name
        File.WriteAllText(Path.Combine(dir, ".env"), "GREETING=changed in the env file\n");
        var changed = cli.Expect(0, Long, "compose", "-f", f, "up", "-d");
        Assert.Matches(@"Service store\s+Recreated", changed.Stderr);
        Assert.Matches(@"Service web\s+Running", changed.Stderr);
        Eventually.Until("the web app to answer through the recreated store", Long, () => Http.TryGet($"http://127.0.0.1:{port}/cgi-bin/store"),
            a => a.EndsWith("asked store: changed in the env file"), a => a);
        var recreated = cli.Expect(0, "compose", "-f", f, "ps").Stdout;
        Assert.Matches(@"(?m)^shop-store-1\s+busybox\s+store\s", recreated);
        Assert.DoesNotContain("shop-store-2", recreated);

        // another project with a service of the same name: refused (its Service `store` is shop's), nothing applied
        var other = Path.Combine(dir, "other.yaml");
        File.WriteAllText(other, "name: other\nservices:\n  store:\n    image: busybox\n    command: [\"sleep\", \"600\"]\n    expose: [\"8080\"]\n");
        var clash = cli.Expect(1, "compose", "-f", other, "up", "-d");
        Assert.Contains("service/store already exists and belongs to compose project \"shop\"", clash.ErrorLine);
        Assert.Single(clash.ErrorLine.Split('\n'));
        Assert.Contains("No resources found", cli.Expect(0, "get", "deployments", "-l", "troupe.io/compose-project=other").Stderr);

        cli.Expect(0, Long, "compose", "-f", f, "down");
        Assert.Empty(cli.Expect(0, "get", "pods", "-l", "troupe.io/compose-project=shop", "-o", "json").Json.GetProperty("items").EnumerateArray());
        Assert.Contains("No resources found", cli.Expect(0, "get", "svc", "-l", "troupe.io/compose-project=shop").Stderr);
        Assert.Equal("", Http.TryGet($"http://127.0.0.1:{port}/cgi-bin/pod").StartsWith("failed:") ? "" : "still answering");

        // bad input: one error line, nothing applied
        File.WriteAllText(f, example.Replace("    image: busybox", "    imagee: busybox"));
        var bad = cli.Expect(1, "compose", "-f", f, "up", "-d");
        Assert.Contains("services.store.imagee", bad.ErrorLine);
        Assert.Empty(cli.Expect(0, "get", "pods", "-l", "troupe.io/compose-project=shop", "-o", "json").Json.GetProperty("items").EnumerateArray());
        Directory.Delete(dir, true);
    }
}
