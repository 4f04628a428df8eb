using Amc.Files;
using System.CommandLine;
using System.Text.Json;
using Amc.Graph;
using Amc.Models;
using Spectre.Console;
using Amc.Torch;

namespace Amc.Cli.Commands;

/// <summary>`amc profile`: per-layer MACs and parameters of a zoo model or a checkpoint, and its channel groups.</summary>
public static class ProfileCommand
{
    public static Command Create()
    {
        var model = new Option<string?>("--model") { Description = $"Zoo model: {string.Join(", ", ModelZoo.Names)}" };
        var input = new Option<string>("--input") { Description = "Input shape CxHxW", DefaultValueFactory = _ => "3x32x32" };
        var classes = new Option<int>("--classes") { Description = "Number of classes", DefaultValueFactory = _ => 10 }.In(OptionRange.AtLeast(1));
        var width = new Option<double>("--width") { Description = "Width multiplier", DefaultValueFactory = _ => 1.0 }.In(TrainCommand.WidthRange);
        var checkpoint = new Option<string?>("--checkpoint") { Description = "Profile the architecture of this checkpoint instead" };
        var cmd = new Command("profile", "Per-layer MACs and parameters (MACs of conv and linear layers; params include BN gamma/beta) and the channel groups pruning acts on")
        {
            model, input, classes, width, checkpoint,
        };
        cmd.SetAction(p =>
        {
            var net = Resolve(p.GetValue(model), p.GetValue(input)!, p.GetValue(classes), p.GetValue(width), p.GetValue(checkpoint));
            var cost = CostModel.Of(net);
            var graph = ChannelGraph.Build(net);
            if (p.GetValue(CommonOptions.Json))
                Console.WriteLine(JsonSerializer.Serialize(ProfileJson(net, cost, graph), ResultJson.Options));
            else
            {
                Render(net, cost);
                RenderGroups(graph);
            }
            return ExitCodes.Ok;
        });
        return cmd;
    }

    public static Network Resolve(string? model, string input, int classes, double width, string? checkpoint)
    {
        if (checkpoint is not null && model is not null) throw new UsageException("give either --model or --checkpoint, not both");
        if (checkpoint is not null) return Checkpoint.Load(checkpoint).Network;
        if (model is null) throw new UsageException("give --model NAME (e.g. resnet20) or --checkpoint FILE");
        if (!ModelZoo.Contains(model)) throw new UsageException($"unknown model '{model}'; choose one of: {string.Join(", ", ModelZoo.Names)}");
        TensorShape shape;
        try { shape = TensorShape.Parse(input); }
        catch (FormatException e) { throw new UsageException(e.Message); }
        return ModelZoo.Build(model, new ModelOptions(shape, classes, width));
    }

    static object ProfileJson(Network net, NetworkCost cost, ChannelGraph graph) => new
    {
        model = net.Name,
        input = net.Input.ToString(),
        macs = cost.Macs,
        @params = cost.Params,
        layers = cost.Layers.Select(l => new
        {
            name = l.Name,
            kind = l.Kind.ToString(),
            input = l.InputShape.ToString(),
            output = l.OutputShape.ToString(),
            macs = l.Macs,
            @params = l.Params,
        }),
        groups = graph.Groups.Select(g => new
        {
            id = g.Id,
            name = g.Name,
            channels = g.Channels,
            prunable = g.Prunable,
            reason = g.Reason,
            block = g.Block,
            producers = g.Producers,
            consumers = g.Consumers,
            passThrough = g.PassThrough,
        }),
    };

    static void Render(Network net, NetworkCost cost)
    {
        var table = new Table().Title($"{net.Name}, input {net.Input}").Border(TableBorder.Rounded);
        table.AddColumns("layer", "kind", "input", "output", "MACs", "params", "MACs %");
        foreach (var l in cost.Layers)
        {
            if (l.Macs == 0 && l.Params == 0) continue; // activations, pools, adds: shown in the JSON, not here
            table.AddRow(Markup.Escape(l.Name), l.Kind.ToString(), l.InputShape.ToString(), l.OutputShape.ToString(),
                Format.Count(l.Macs), Format.Count(l.Params), $"{100.0 * l.Macs / Math.Max(1, cost.Macs):F1}");
        }
        table.AddRow("[bold]total[/]", "", "", "", $"[bold]{Format.Count(cost.Macs)}[/]", $"[bold]{Format.Count(cost.Params)}[/]", "100.0");
        AnsiConsole.Write(table);
    }

    /// <summary>
    /// The pruning units, one row per group in forward order. A group is named after its first
    /// producer, so the producers column only spells out groups that several layers write (a
    /// residual stream: first and last); the JSON lists every producer, consumer and pass-through.
    /// </summary>
    static void RenderGroups(ChannelGraph graph)
    {
        var table = new Table().Title($"channel groups: {graph.Groups.Count}, {graph.Prunable.Count()} prunable").Border(TableBorder.Rounded);
        table.AddColumns(new TableColumn("group"), new TableColumn("channels").RightAligned(), new TableColumn("producers"),
            new TableColumn("consumers").RightAligned(), new TableColumn("pass-through").RightAligned(), new TableColumn("prunable"));
        foreach (var g in graph.Groups)
        {
            string producers = g.Producers.Count switch
            {
                0 => "-",
                1 => "1",
                2 => $"2: {g.Producers[0]}, {g.Producers[1]}",
                var n => $"{n}: {g.Producers[0]} ... {g.Producers[^1]}",
            };
            table.AddRow(Markup.Escape(g.Name), g.Channels.ToString(), Markup.Escape(producers), g.Consumers.Count.ToString(),
                g.PassThrough.Count.ToString(), !g.Prunable ? $"[grey]no: {Markup.Escape(g.Reason!)}[/]"
                    : g.Block > 1 ? $"yes, in blocks of {g.Block}" : "yes");
        }
        AnsiConsole.Write(table);
    }
}
