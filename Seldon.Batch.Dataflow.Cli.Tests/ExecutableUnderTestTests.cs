using System.Reflection;
using Xunit.Abstractions;

namespace Seldon.Batch.Dataflow.Cli.Tests;

/// <summary>Which seldon-batch-processor the CLI's tests ran (<see cref="CliExecutable"/>), in the test results, where
/// <c>make test</c> prints it from.</summary>
[Trait("Category", "Integration")]
public sealed class ExecutableUnderTestTests(ITestOutputHelper log)
{
    [Fact]
    public async Task The_executable_under_test_is_of_this_build_and_says_which_it_is()
    {
        // deploy/skipped-tests.sh prints this line after `make test`.
        log.WriteLine($"executable under test: {CliExecutable.Description}");

        var (code, stdout, stderr) = await CliProcess.RunAsync(["--version"]);

        // The version the build stamps on every assembly, with the commit it was built from after the '+'.
        var version = typeof(CliApplication).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;
        Assert.True(code == 0, stderr);
        Assert.Equal(version, stdout.Trim());
    }
}
