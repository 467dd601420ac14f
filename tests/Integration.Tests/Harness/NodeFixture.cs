using Xunit.Abstractions;

namespace Troupe.Integration.Tests.Harness;

/// <summary>
/// One node (fresh <c>TROUPE_HOME</c>, runc driver) shared by the tests of a class. Started by the first test
/// that asks for it, after that test has checked its requirements; stopped and checked for leaks at the end.
/// </summary>
public sealed class NodeFixture : IDisposable
{
    private TroupeCli? _cli;

    public TroupeCli Start(ITestOutputHelper output, string label)
    {
        if (_cli is null)
        {
            _cli = new TroupeCli(label, output);
            _cli.Up();
        }
        _cli.Output = output;
        var ping = _cli.Run("get", "pods", "-o", "json");
        if (ping.ExitCode != 0)
        {
            // an earlier test may have stopped or killed it
            _cli.Up();
        }
        return _cli;
    }

    public void Dispose()
    {
        if (_cli is null) return;
        _cli.Output = null;
        _cli.Dispose();
    }
}
