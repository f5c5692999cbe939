using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Seldon.Batch.Dataflow.Tests.Docs;

/// <summary>Every C# example of the library's documentation (<c>docs/library.md</c> and the package's README) is a
/// whole program that compiles against the library, as a new console app would: with its implicit usings, and
/// nothing else but the <c>using</c> lines the example shows.</summary>
[Trait("Category", "Integration")]
public sealed partial class DocumentedExamplesTests
{
    private static readonly string[] Documents = ["docs/library.md", "Seldon.Batch.Dataflow/PackageReadme.md"];

    /// <summary>The usings <c>ImplicitUsings</c> gives a console app (Microsoft.NET.Sdk).</summary>
    private const string ConsoleImplicitUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Net.Http;
        global using System.Threading;
        global using System.Threading.Tasks;
        """;

    private static readonly Lazy<MetadataReference[]> References = new(() =>
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(path => !Path.GetFileName(path).StartsWith("Seldon.Batch.Dataflow.Server", StringComparison.Ordinal))
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .ToArray());

    public static TheoryData<string, int> Examples()
    {
        var examples = new TheoryData<string, int>();
        foreach (var document in Documents)
        {
            for (var i = 0; i < ExamplesOf(document).Count; i++)
            {
                examples.Add(document, i);
            }
        }

        return examples;
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void The_example_compiles_as_a_whole_program(string document, int number)
    {
        var example = ExamplesOf(document)[number];
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        var compilation = CSharpCompilation.Create(
            "Example",
            [CSharpSyntaxTree.ParseText(ConsoleImplicitUsings, parse), CSharpSyntaxTree.ParseText(example, parse)],
            References.Value,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));

        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString()).ToList();

        Assert.True(errors.Count == 0, $"example {number + 1} of {document} does not compile:\n{string.Join('\n', errors)}\n\n{example}");
    }

    [Fact]
    public void The_documents_hold_examples()
    {
        Assert.True(ExamplesOf("docs/library.md").Count >= 5);
        Assert.True(ExamplesOf("Seldon.Batch.Dataflow/PackageReadme.md").Count >= 2);
    }

    private static List<string> ExamplesOf(string document) =>
        [.. CSharpBlock().Matches(File.ReadAllText(Path.Combine(RepositoryRoot(), document))).Select(m => m.Groups["code"].Value)];

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Seldon.Batch.Dataflow.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no Seldon.Batch.Dataflow.sln above {AppContext.BaseDirectory}");
    }

    [GeneratedRegex("^```csharp\\n(?<code>.*?)^```", RegexOptions.Singleline | RegexOptions.Multiline)]
    private static partial Regex CSharpBlock();
}
