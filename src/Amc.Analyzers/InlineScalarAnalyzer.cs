using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace Amc.Analyzers;

/// <summary>
/// Refuses code that makes a TorchSharp Scalar nothing keeps alive: a number passed where a Scalar is
/// wanted, <c>ToScalar()</c> as an argument, or a call to a TorchSharp member that does either inside
/// (listed in TorchSharpScalarMakers.txt). TorchSharp 0.107 reads such a Scalar's native handle and
/// then no longer references it, so a garbage collection started by another thread during the native
/// call can finalize it while libtorch still reads it (docs/RELIABILITY.md, "Native crashes from
/// TorchSharp's Scalars"). A Scalar in a static field or a <c>using</c> local stays alive.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class InlineScalarAnalyzer : DiagnosticAnalyzer
{
    public static readonly DiagnosticDescriptor Rule = new(
        id: "AMC0001",
        title: "TorchSharp Scalar that nothing keeps alive",
        messageFormat: "{0} makes a TorchSharp Scalar that nothing keeps alive during the native call ({1}); use Amc.Torch.Scalars or a 'using' local",
        category: "Reliability",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    static readonly ImmutableDictionary<string, string> Makers = LoadMakers();

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterOperationAction(OnOperation, OperationKind.Conversion, OperationKind.Invocation, OperationKind.ObjectCreation,
            OperationKind.Binary, OperationKind.CompoundAssignment, OperationKind.Unary);
    }

    static ImmutableDictionary<string, string> LoadMakers()
    {
        using var stream = typeof(InlineScalarAnalyzer).Assembly.GetManifestResourceStream("TorchSharpScalarMakers.txt")!;
        using var reader = new StreamReader(stream);
        var makers = ImmutableDictionary.CreateBuilder<string, string>();
        for (var line = reader.ReadLine(); line != null; line = reader.ReadLine())
        {
            var tab = line.IndexOf('\t');
            if (line.Length > 0 && line[0] != '#' && tab > 0)
                makers[line.Substring(0, tab)] = line.Substring(tab + 1);
        }
        return makers.ToImmutable();
    }

    static bool IsScalar(ITypeSymbol? t) =>
        t is { Name: "Scalar", ContainingNamespace: { Name: "TorchSharp", ContainingNamespace.IsGlobalNamespace: true } };

    static void OnOperation(OperationAnalysisContext context)
    {
        var op = context.Operation;
        if (op is IConversionOperation { IsImplicit: true, Conversion.IsUserDefined: true } c && IsScalar(c.Type))
            Report(context, "a number converted to a Scalar");
        else if (op is IInvocationOperation { TargetMethod.Name: "ToScalar", Parent: IArgumentOperation } call && IsScalar(call.Type))
            Report(context, "ToScalar() as an argument");
        else if (Target(op) is { } m && m.OriginalDefinition.GetDocumentationCommentId() is { } id && Makers.TryGetValue(id, out var why))
            Report(context, $"{m.ContainingType.Name}.{m.Name}: {why}");
    }

    static IMethodSymbol? Target(IOperation op) => op switch
    {
        IInvocationOperation { Instance.Type: { } receiver } i when OverriddenOutsideTorchSharp(i.TargetMethod, receiver) => null,
        IInvocationOperation i => i.TargetMethod,
        IObjectCreationOperation n => n.Constructor,
        IBinaryOperation b => b.OperatorMethod,
        ICompoundAssignmentOperation a => a.OperatorMethod,
        IUnaryOperation u => u.OperatorMethod,
        IConversionOperation v => v.OperatorMethod,
        _ => null,
    };

    /// <summary>C# binds a call to the virtual it overrides; ours (e.g. ScalarSafeOptimizers.Adam.step) is what runs.</summary>
    static bool OverriddenOutsideTorchSharp(IMethodSymbol target, ITypeSymbol receiver)
    {
        if (!target.IsVirtual && !target.IsAbstract && !target.IsOverride) return false;
        for (var t = receiver; t != null && t.ContainingAssembly?.Name != "TorchSharp"; t = t.BaseType)
            foreach (var m in t.GetMembers(target.Name))
                for (var o = (m as IMethodSymbol)?.OverriddenMethod; o != null; o = o.OverriddenMethod)
                    if (SymbolEqualityComparer.Default.Equals(o.OriginalDefinition, target.OriginalDefinition)) return true;
        return false;
    }

    static void Report(OperationAnalysisContext context, string why) =>
        context.ReportDiagnostic(Diagnostic.Create(Rule, context.Operation.Syntax.GetLocation(), $"'{context.Operation.Syntax}'", why));
}
