using System.Collections.Immutable;
using Amc.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Amc.Tests.Torch;

/// <summary>AMC0001 finds every way of making a TorchSharp Scalar that nothing keeps alive, and passes the safe forms.</summary>
public class InlineScalarAnalyzerTests
{
    static ImmutableArray<Diagnostic> Analyze(string body)
    {
        var source = $$"""
            using TorchSharp;
            using static TorchSharp.torch;
            using Amc.Torch;
            class C
            {
                void M(Tensor a, Tensor b, TorchSharp.Modules.Parameter[] ps)
                {
            {{body}}
                }
            }
            """;
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Select(p => MetadataReference.CreateFromFile(p));
        var compilation = CSharpCompilation.Create("Snippet", [CSharpSyntaxTree.ParseText(source)], references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        return compilation.WithAnalyzers([new InlineScalarAnalyzer()]).GetAnalyzerDiagnosticsAsync().Result;
    }

    [Theory]
    [InlineData("a.mul_(2);")]                                  // a number converted to a Scalar
    [InlineData("var x = a.mul(2.0.ToScalar());")]              // ToScalar() as an argument
    [InlineData("var x = a * 0.5;")]                            // TorchSharp's operator makes it
    [InlineData("var x = a + b;")]                              // add(Tensor) passes alpha = 1
    [InlineData("a.add_(b);")]
    [InlineData("var x = a.square();")]
    [InlineData("var bn = nn.BatchNorm2d(3);")]                 // num_batches_tracked.add_(1) in forward
    [InlineData("var act = nn.LeakyReLU(0.1);")]
    [InlineData("optim.SGD(ps, 0.1).step();")]
    [InlineData("optim.Adam(ps, 0.1).step();")]
    public void Refuses(string statement) =>
        Assert.Equal("AMC0001", Assert.Single(Analyze(statement)).Id);

    [Theory]
    [InlineData("var x = a.Plus(b).Times(0.5).Plus(1.0);")]
    [InlineData("using var s = 2.0.ToScalar(); var x = a.mul(s);")]
    [InlineData("var x = a * b - b;")]
    [InlineData("new ScalarSafeOptimizers.SGD(ps, 0.1, 0.9, 0).step();")]  // overrides TorchSharp's step
    [InlineData("new ScalarSafeOptimizers.Adam(ps, 0.1).step();")]
    [InlineData("var bn = ScalarSafeModules.BatchNorm2d(3, 1e-5);")]
    public void Passes(string statement) =>
        Assert.Empty(Analyze(statement));
}
