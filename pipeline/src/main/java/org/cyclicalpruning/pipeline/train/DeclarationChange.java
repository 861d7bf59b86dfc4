package org.cyclicalpruning.pipeline.train;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.cyclicalpruning.modelops.model.ModelSpec;
import org.cyclicalpruning.schemas.ModelDeclaration;
import org.cyclicalpruning.schemas.OptimizerDeclaration;
import org.cyclicalpruning.schemas.OptimizerKind;

/**
 * How a model's declaration changed between its state (a checkpoint or savepoint) and the job's
 * configuration now: what its state cannot carry over to (architecture, optimizer and its state
 * tensors), and what simply takes effect (everything else).
 *
 * @param incompatibility why the state cannot train under the new declaration, if it cannot
 * @param changes the settings that changed and take effect, as {@code name: old -> new}
 */
record DeclarationChange(Optional<String> incompatibility, List<String> changes) {

    /** Compares a stored declaration with the one in force now. */
    static DeclarationChange of(ModelDeclaration stored, ModelDeclaration now) {
        String id = now.getModelId();
        String specWas = ModelSpec.parse(stored.getSpec()).toText();
        String specIs = ModelSpec.parse(now.getSpec()).toText();
        OptimizerDeclaration was = stored.getOptimizer();
        OptimizerDeclaration is = now.getOptimizer();
        if (!specWas.equals(specIs)) {
            return incompatible(id, "spec was " + specWas + ", is now " + specIs);
        }
        if (was.getKind() != is.getKind() || stateTensors(was) != stateTensors(is)) {
            return incompatible(id, "optimizer was " + describe(was) + ", is now " + describe(is));
        }
        List<String> changes = new ArrayList<>();
        diff(changes, "schedule", stored.getSchedule(), now.getSchedule());
        diff(changes, "pruning", stored.getPruning(), now.getPruning());
        diff(changes, "mask-interval", stored.getMaskInterval(), now.getMaskInterval());
        diff(changes, "regrowth", stored.getRegrowth(), now.getRegrowth());
        diff(changes, "learning-rate", was.getLearningRate(), is.getLearningRate());
        diff(changes, "momentum", was.getMomentum(), is.getMomentum());
        diff(changes, "weight-decay", was.getWeightDecay(), is.getWeightDecay());
        diff(changes, "input-scaling", stored.getInputScaling(), now.getInputScaling());
        // seed and initial weights only shape a new model: a restored one has its weights
        return new DeclarationChange(Optional.empty(), List.copyOf(changes));
    }

    /** Returns the changes that take effect as one line for the log, if there are any. */
    Optional<String> logged() {
        return changes.isEmpty() ? Optional.empty() : Optional.of(String.join(", ", changes));
    }

    private static DeclarationChange incompatible(String id, String why) {
        return new DeclarationChange(Optional.of("model '" + id + "': " + why), List.of());
    }

    private static int stateTensors(OptimizerDeclaration o) {
        if (o.getKind() == OptimizerKind.ADAM) {
            return 2;
        }
        return o.getMomentum() > 0 ? 1 : 0;
    }

    private static String describe(OptimizerDeclaration o) {
        return o.getKind() == OptimizerKind.ADAM ? "adam" : "sgd (momentum " + o.getMomentum() + ")";
    }

    private static void diff(List<String> out, String name, Object was, Object is) {
        if (!Objects.equals(was, is)) {
            out.add(name + ": " + was + " -> " + is);
        }
    }
}
