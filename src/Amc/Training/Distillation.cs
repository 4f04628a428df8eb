using Amc.Torch;
using static TorchSharp.torch;

namespace Amc.Training;

/// <summary>How a student matches its teacher: Hinton's softened-softmax KL (classifiers) or MSE on the raw outputs (feature extractors).</summary>
public enum DistillLoss { KL, Mse }

/// <summary>
/// Knowledge distillation settings. <paramref name="Alpha"/> weighs the teacher's term against
/// cross-entropy on the labels: 1 (the default) uses the teacher alone, which needs no labels.
/// </summary>
public sealed record DistillOptions(double Temperature = 4, double Alpha = 1, DistillLoss Loss = DistillLoss.KL);

/// <summary>
/// Knowledge distillation from a teacher (the unpruned network) into the network being trained
/// (Hinton et al. 2015): loss = alpha * KL(softmax(t/T) || softmax(s/T)) * T^2 + (1 - alpha) * CE(s, y),
/// where T^2 keeps the soft term's gradients at the scale of the hard one's as T changes. With
/// <see cref="DistillLoss.Mse"/> the teacher's term is the mean squared error of the outputs.
/// The teacher runs in eval mode without gradients on the same (augmented) batch as the student.
/// </summary>
public sealed class Distillation(GraphModule teacher, DistillOptions options)
{
    public DistillOptions Options => options;

    /// <summary>The teacher's outputs on <paramref name="x"/> (no gradients; eval mode, so BN uses its running statistics).</summary>
    public Tensor Teach(Tensor x)
    {
        teacher.eval();
        using var _ = no_grad();
        return teacher.call(x);
    }

    /// <param name="labels">The batch's labels, or null for unlabelled images (then only the teacher's term).</param>
    public Tensor Loss(Tensor student, Tensor teacherOutputs, Tensor? labels)
    {
        long n = student.shape[0];
        Tensor soft;
        if (options.Loss == DistillLoss.Mse)
            soft = nn.functional.mse_loss(student, teacherOutputs);
        else
        {
            double t = options.Temperature;
            var logStudent = nn.functional.log_softmax(student.reshape(n, -1).DividedBy(t), 1);
            var logTeacher = nn.functional.log_softmax(teacherOutputs.reshape(n, -1).DividedBy(t), 1);
            soft = (logTeacher.exp() * (logTeacher - logStudent)).sum().DividedBy(n).Times(t * t);
        }
        if (labels is null || options.Alpha >= 1) return soft;
        return soft.Times(options.Alpha).Plus(nn.functional.cross_entropy(student, labels).Times(1 - options.Alpha));
    }
}
