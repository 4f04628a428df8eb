// Which public TorchSharp members make a Scalar that nothing keeps alive, directly or through the
// members they call? Reads TorchSharp's source (a checkout of github.com/dotnet/TorchSharp at the
// version amc uses) and writes the list src/Amc.Analyzers/TorchSharpScalarMakers.txt holds:
//   dotnet run --project bench/ScalarAudit -c Release -- TORCHSHARP/src/TorchSharp > list.tsv
// Compiled against the runtime's assemblies only: the few files that need TorchSharp's other
// dependencies (protobuf, SkiaSharp) bind partly, which the error count on stderr shows.
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

var src = args[0];
var runtime = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
var parse = new CSharpParseOptions(LanguageVersion.Latest, preprocessorSymbols: ["NET6_0_OR_GREATER", "NETCOREAPP", "NET", "NET5_0_OR_GREATER", "NETCOREAPP3_1_OR_GREATER"]);
var trees = Directory.GetFiles(src, "*.cs", SearchOption.AllDirectories).Select(f => CSharpSyntaxTree.ParseText(File.ReadAllText(f), parse, f)).ToList();
var refs = Directory.GetFiles(runtime, "*.dll").Where(IsManaged).Select(f => MetadataReference.CreateFromFile(f)).ToList();
var comp = CSharpCompilation.Create("TorchSharp", trees, refs, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true));
Console.Error.WriteLine($"errors: {comp.GetDiagnostics().Count(d => d.Severity == DiagnosticSeverity.Error)}");

bool IsScalar(ITypeSymbol? t) => t is { Name: "Scalar", ContainingNamespace.Name: "TorchSharp" };
var direct = new Dictionary<ISymbol, string>(SymbolEqualityComparer.Default);
var edges = new Dictionary<ISymbol, HashSet<ISymbol>>(SymbolEqualityComparer.Default);
foreach (var tree in trees)
{
    var model = comp.GetSemanticModel(tree);
    foreach (var decl in tree.GetRoot().DescendantNodes().Where(n => n is BaseMethodDeclarationSyntax or AccessorDeclarationSyntax or PropertyDeclarationSyntax { ExpressionBody: not null }))
    {
        var owner = model.GetDeclaredSymbol(decl);
        if (owner is IPropertySymbol p) owner = p.GetMethod;
        if (owner is null) continue;
        var op = model.GetOperation(decl) ?? (decl is PropertyDeclarationSyntax pd ? model.GetOperation(pd.ExpressionBody!) : null);
        if (op is null) continue;
        var callees = edges.TryGetValue(owner, out var e) ? e : edges[owner] = new(SymbolEqualityComparer.Default);
        foreach (var o in op.DescendantsAndSelf())
        {
            switch (o)
            {
                case IConversionOperation c when c.Conversion.IsUserDefined && IsScalar(c.Type) && c.Parent is not IVariableInitializerOperation:
                    direct.TryAdd(owner, $"{c.Syntax} @ {Path.GetFileName(tree.FilePath)}:{c.Syntax.GetLocation().GetLineSpan().StartLinePosition.Line + 1}");
                    break;
                case IInvocationOperation i when i.TargetMethod.Name == "ToScalar" && i.Parent is IArgumentOperation:
                    direct.TryAdd(owner, $"{i.Syntax} @ {Path.GetFileName(tree.FilePath)}");
                    break;
            }
            ISymbol? callee = o switch
            {
                IInvocationOperation i => i.TargetMethod, IObjectCreationOperation n => n.Constructor,
                IBinaryOperation b => b.OperatorMethod, ICompoundAssignmentOperation ca => ca.OperatorMethod,
                IUnaryOperation u => u.OperatorMethod, IConversionOperation cv => cv.OperatorMethod,
                IPropertyReferenceOperation pr => pr.Property.GetMethod, _ => null
            };
            if (callee is not null && callee.ContainingAssembly?.Name == "TorchSharp") callees.Add(callee.OriginalDefinition);
        }
    }
}
// A module's forward runs whenever the module does: charge it to the module's constructors.
foreach (var f in edges.Keys.OfType<IMethodSymbol>().Where(m => m.Name == "forward").ToList())
    foreach (var ctor in f.ContainingType.Constructors)
        (edges.TryGetValue(ctor, out var ce) ? ce : edges[ctor] = new(SymbolEqualityComparer.Default)).Add(f);
// Closure: a member is hazardous if it makes an inline Scalar or calls one that does.
var why = new Dictionary<ISymbol, string>(direct, SymbolEqualityComparer.Default);
bool changed = true;
while (changed)
{
    changed = false;
    foreach (var (m, cs) in edges)
        if (!why.ContainsKey(m))
            foreach (var c in cs)
                if (why.ContainsKey(c)) { why[m] = "via " + c.ToDisplayString(); changed = true; break; }
}
bool Public(ISymbol s) => s.DeclaredAccessibility == Accessibility.Public && (s.ContainingType is null || Public(s.ContainingType));
foreach (var (m, w) in why.Where(kv => Public(kv.Key)).OrderBy(kv => kv.Key.GetDocumentationCommentId()))
    Console.WriteLine($"{m.GetDocumentationCommentId()}\t{w}");

static bool IsManaged(string path)
{
    try { System.Reflection.AssemblyName.GetAssemblyName(path); return true; }
    catch (BadImageFormatException) { return false; }
}
