using System.Collections.Immutable;
using Troupe.Runtime.Drivers;
using Xunit;

namespace Troupe.Runtime.Tests.Drivers;

/// <summary>
/// One suite every <see cref="IContainerDriver"/> passes. Subclasses give the driver, how a launch looks for it, and
/// the argv that runs forever / exits with a code / cannot be found.
/// </summary>
public abstract class DriverConformance : IDisposable
{
    protected readonly string Home = Directory.CreateTempSubdirectory("troupe-drv-").FullName;
    private readonly List<string> _ids = [];
    private IContainerDriver? _driver;
    protected IContainerDriver Driver => _driver ??= CreateDriver();

    protected abstract IContainerDriver CreateDriver();
    protected virtual void Require() { }
    protected virtual string[] RunsForever => ["sleep", "30"];
    protected virtual string[] ExitsWith(int code) => ["sh", "-c", $"exit {code}"];
    protected virtual string[] Missing => ["no-such-command-troupe"];
    protected virtual ContainerLaunch Customize(ContainerLaunch l) => l;
    protected virtual Task AssertNothingLeftAsync(string id) => Task.CompletedTask;

    protected ContainerLaunch Launch(string name, params string[] args)
    {
        var id = $"{Guid.NewGuid():N}"[..12] + "-" + name;
        _ids.Add(id);
        return Customize(new ContainerLaunch
        {
            Id = id, Args = [.. args], LogPath = Path.Combine(Home, "logs", id, "0.log"), Hostname = "pod-" + name,
            Env = ["PATH=/usr/local/bin:/usr/bin:/bin", "GREETING=hello"],
            Labels = ImmutableSortedDictionary<string, string>.Empty.Add("troupe.pod.uid", "uid-1").Add("troupe.container", name),
        });
    }

    protected static async Task<T> Within<T>(Task<T> t, int seconds = 10) => await t.WaitAsync(TimeSpan.FromSeconds(seconds));

    [SkippableFact]
    public async Task Driver_must_report_a_running_pid_and_exit_128_plus_signal_when_killed()
    {
        Require();
        var l = Launch("run", RunsForever);
        var s = await Driver.StartAsync(l);
        Assert.True(s.Pid > 0);
        var list = await Driver.ListAsync();
        Assert.Contains(list, r => r.Id == l.Id && r.Status == "Running" && r.Pid == s.Pid);
        await Driver.KillAsync(l.Id, 15);
        var exit = await Within(Driver.WaitAsync(l.Id));
        Assert.Equal(143, exit.ExitCode);
        Assert.Equal("Error", exit.Reason);
        await Driver.KillAsync(l.Id, 9); // killing an exited container is no error
    }

    [SkippableFact]
    public async Task Driver_must_propagate_the_exit_code()
    {
        Require();
        var l = Launch("exit3", ExitsWith(3));
        await Driver.StartAsync(l);
        var exit = await Within(Driver.WaitAsync(l.Id));
        Assert.Equal(3, exit.ExitCode);
        Assert.False(exit.OomKilled);
        var again = await Within(Driver.WaitAsync(l.Id)); // at once once exited
        Assert.Equal(3, again.ExitCode);
    }

    [SkippableFact]
    public async Task Driver_must_fail_a_missing_command_with_127()
    {
        Require();
        var l = Launch("missing", Missing);
        var e = await Assert.ThrowsAsync<ContainerStartException>(() => Driver.StartAsync(l));
        Assert.Equal(127, e.ExitCode);
        Assert.DoesNotContain(await Driver.ListAsync(), r => r.Id == l.Id && r.Status == "Running");
    }

    [SkippableFact]
    public async Task Driver_must_restart_the_same_id_after_exit()
    {
        Require();
        var l = Launch("again", ExitsWith(0));
        var first = await Driver.StartAsync(l);
        Assert.Equal(0, (await Within(Driver.WaitAsync(l.Id))).ExitCode);
        var second = await Driver.StartAsync(l with { Args = [.. RunsForever], LogPath = Path.Combine(Home, "logs", l.Id, "1.log") });
        Assert.NotEqual(first.Pid, second.Pid);
        Assert.Contains(await Driver.ListAsync(), r => r.Id == l.Id && r.Status == "Running");
        await Driver.KillAsync(l.Id, 9);
        Assert.Equal(137, (await Within(Driver.WaitAsync(l.Id))).ExitCode);
    }

    [SkippableFact]
    public async Task Driver_must_remove_idempotently_and_leave_nothing()
    {
        Require();
        var l = Launch("gone", RunsForever);
        await Driver.StartAsync(l);
        await Driver.RemoveAsync(l.Id);
        await Driver.RemoveAsync(l.Id);
        Assert.DoesNotContain(await Driver.ListAsync(), r => r.Id == l.Id);
        await AssertNothingLeftAsync(l.Id);
    }

    [SkippableFact]
    public async Task Driver_must_list_labels()
    {
        Require();
        var l = Launch("labels", RunsForever);
        await Driver.StartAsync(l);
        var rec = Assert.Single(await Driver.ListAsync(), r => r.Id == l.Id);
        Assert.Equal("uid-1", rec.Labels["troupe.pod.uid"]);
        Assert.Equal("labels", rec.Labels["troupe.container"]);
        Assert.NotNull(rec.StartedAt);
    }

    /// <summary>
    /// A launch with stdin open reads what is attached and, with StdinOnce, ends when that input ends; one without
    /// stdin refuses an attach. Real drivers only (the fake one runs no process to read it).
    /// </summary>
    protected async Task AttachedInputReachesTheProcess()
    {
        Require();
        var l = Launch("cat", "cat") with { Stdin = true, StdinOnce = true };
        await Driver.StartAsync(l);
        // 30 s: a loaded CI machine (the other test projects build and run beside this one) once took over 10
        await Within(Driver.AttachAsync(l.Id, new MemoryStream("typed in\nsecond\n"u8.ToArray())).ContinueWith(t => { t.GetAwaiter().GetResult(); return 0; }), 30);
        Assert.Equal(0, (await Within(Driver.WaitAsync(l.Id), 30)).ExitCode);
        var log = await File.ReadAllTextAsync(l.LogPath);
        Assert.Contains("stdout F typed in", log);
        Assert.Contains("stdout F second", log);

        var closed = Launch("nostdin", RunsForever);
        await Driver.StartAsync(closed);
        var e = await Assert.ThrowsAsync<RuntimeInvocationException>(() => Driver.AttachAsync(closed.Id, new MemoryStream()));
        Assert.Contains("stdin", e.Message);
        await Driver.KillAsync(closed.Id, 9);
    }

    public virtual void Dispose()
    {
        if (_driver is not null)
        {
            foreach (var id in _ids)
                try { _driver.RemoveAsync(id).Wait(TimeSpan.FromSeconds(10)); } catch (Exception) { }
            (_driver as IDisposable)?.Dispose();
        }
        try { Directory.Delete(Home, true); } catch (Exception) { }
        GC.SuppressFinalize(this);
    }
}

public sealed class FakeDriverSpec : DriverConformance
{
    protected override IContainerDriver CreateDriver() => new FakeDriver();
    protected override string[] RunsForever => ["sh", "-c", "sleep 30"];
    protected override string[] ExitsWith(int code) => ["exit", code.ToString()];
    protected override string[] Missing => ["missing"];

    [Fact]
    public async Task FakeDriver_must_exit_later_and_ignore_term_when_scripted()
    {
        var later = Launch("later", "exit", "1", "after", "100ms");
        await Driver.StartAsync(later);
        Assert.False(Driver.WaitAsync(later.Id).IsCompleted);
        Assert.Equal(1, (await Within(Driver.WaitAsync(later.Id))).ExitCode);
        var stubborn = Launch("stubborn", "ignore-term");
        await Driver.StartAsync(stubborn);
        await Driver.KillAsync(stubborn.Id, 15);
        Assert.False(Driver.WaitAsync(stubborn.Id).IsCompleted);
        await Driver.KillAsync(stubborn.Id, 9);
        Assert.Equal(137, (await Within(Driver.WaitAsync(stubborn.Id))).ExitCode);
        Assert.Contains("stdout F started " + later.Id, File.ReadAllText(later.LogPath));
    }
}

public sealed class ProcessDriverSpec : DriverConformance
{
    protected override IContainerDriver CreateDriver() => new ProcessDriver(Home);

    [Fact]
    public Task ProcessDriver_must_feed_attached_input_to_a_stdin_launch() => AttachedInputReachesTheProcess();

    [Fact]
    public async Task ProcessDriver_must_write_cri_logs_and_pass_env()
    {
        var l = Launch("log", "sh", "-c", "echo $GREETING; echo oops >&2; printf tail");
        await Driver.StartAsync(l);
        Assert.Equal(0, (await Within(Driver.WaitAsync(l.Id))).ExitCode);
        var lines = File.ReadAllLines(l.LogPath);
        Assert.Contains(lines, x => System.Text.RegularExpressions.Regex.IsMatch(x, @"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z stdout F hello$"));
        Assert.Contains(lines, x => x.EndsWith(" stderr F oops"));
        Assert.Contains(lines, x => x.EndsWith(" stdout P tail"));
    }

    [Fact]
    public async Task ProcessDriver_must_report_adopted_processes_after_a_restart()
    {
        var l = Launch("adopt", "sleep", "30");
        var s = await Driver.StartAsync(l);
        var restarted = new ProcessDriver(Home);
        var rec = Assert.Single(await restarted.ListAsync(), r => r.Id == l.Id);
        Assert.Equal(("Running", s.Pid), (rec.Status, rec.Pid!.Value));
        var wait = restarted.WaitAsync(l.Id);
        await restarted.KillAsync(l.Id, 9);
        await Within(wait);
    }

    [Fact]
    public async Task ProcessDriver_must_fail_a_non_executable_with_126()
    {
        var file = Path.Combine(Home, "plain.txt");
        File.WriteAllText(file, "not a program");
        var l = Launch("noexec", file);
        Assert.Equal(126, (await Assert.ThrowsAsync<ContainerStartException>(() => Driver.StartAsync(l))).ExitCode);
    }
}
