package org.cyclicalpruning.pipeline.config;

import java.io.Serializable;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.cyclicalpruning.modelops.snapshot.ModelFiles;
import org.cyclicalpruning.schemas.ModelDeclaration;

/**
 * The models a job trains: the declared ones by id, and optionally a default declaration for ids
 * that are not declared. What the validator and the training operator receive of the
 * configuration about models.
 *
 * <p>Declarations travel with the job graph as Avro records; each task parses them once, on first
 * use, into {@link ModelDefinition}s.
 */
public final class ModelRegistry implements Serializable {
    private static final long serialVersionUID = 1L;
    /** Definitions made from the default declaration kept per task, so that ids from the input cannot grow it without bound. */
    private static final int DEFAULT_CACHE = 10_000;

    private final LinkedHashMap<String, ModelDeclaration> declared;
    private final ModelDeclaration defaultModel;
    // read where the configuration is read, and shipped with the job: TaskManagers need no access to the files
    private final HashMap<String, ModelFiles.Weights> initialWeights;
    private final ModelFiles.Weights defaultInitialWeights;
    private transient Map<String, ModelDefinition> definitions;
    private transient ModelDefinition defaultDefinition;

    private ModelRegistry(
            LinkedHashMap<String, ModelDeclaration> declared,
            ModelDeclaration defaultModel,
            HashMap<String, ModelFiles.Weights> initialWeights,
            ModelFiles.Weights defaultInitialWeights) {
        this.declared = declared;
        this.defaultModel = defaultModel;
        this.initialWeights = initialWeights;
        this.defaultInitialWeights = defaultInitialWeights;
    }

    /**
     * Returns a registry, parsing every declaration to fail fast.
     *
     * @param models the declared models, ids unique
     * @param defaultModel used for unknown ids, if present
     * @return the registry
     * @throws IllegalArgumentException naming the model and field that is invalid, or a repeated id
     */
    public static ModelRegistry of(List<ModelDeclaration> models, Optional<ModelDeclaration> defaultModel) {
        LinkedHashMap<String, ModelDeclaration> byId = new LinkedHashMap<>();
        HashMap<String, ModelFiles.Weights> weights = new HashMap<>();
        for (ModelDeclaration d : models) {
            ModelDefinition definition = ModelDefinition.of(d);
            if (byId.put(d.getModelId(), d) != null) {
                throw new ConfigError("model id '" + d.getModelId() + "' is declared twice");
            }
            definition
                    .readInitialWeights("model '" + d.getModelId() + "'")
                    .ifPresent(w -> weights.put(d.getModelId(), w));
        }
        ModelFiles.Weights defaultWeights = defaultModel.isEmpty()
                ? null
                : ModelDefinition.of(defaultModel.get(), "default-model")
                        .readInitialWeights("default-model")
                        .orElse(null);
        return new ModelRegistry(byId, defaultModel.orElse(null), weights, defaultWeights);
    }

    /**
     * Returns the definition of a model id: the declared one, the default one under that id, or
     * none if the id is unknown and no default is configured.
     */
    public Optional<ModelDefinition> lookup(String modelId) {
        if (definitions == null) {
            definitions = new LinkedHashMap<>();
        }
        ModelDefinition d = definitions.get(modelId);
        if (d != null) {
            return Optional.of(d);
        }
        ModelDeclaration declaration = declared.get(modelId);
        if (declaration != null) {
            d = ModelDefinition.of(declaration);
            ModelFiles.Weights weights = initialWeights.get(modelId);
            if (weights != null) {
                d = d.withInitialWeights(weights);
            }
            definitions.put(modelId, d);
            return Optional.of(d);
        }
        if (defaultModel == null) {
            return Optional.empty();
        }
        if (defaultDefinition == null) {
            defaultDefinition = ModelDefinition.of(defaultModel, "default-model");
            if (defaultInitialWeights != null) {
                defaultDefinition = defaultDefinition.withInitialWeights(defaultInitialWeights);
            }
        }
        d = defaultDefinition.renamed(modelId);
        if (definitions.size() < declared.size() + DEFAULT_CACHE) {
            definitions.put(modelId, d);
        }
        return Optional.of(d);
    }

    /** Returns whether the id is declared itself, rather than created by the default declaration. */
    public boolean isDeclared(String modelId) {
        return declared.containsKey(modelId);
    }

    /** Returns the declared models, in declaration order. */
    public Collection<ModelDeclaration> declared() {
        return Collections.unmodifiableCollection(declared.values());
    }

    /** Returns the default declaration, if unknown ids create models. */
    public Optional<ModelDeclaration> defaultModel() {
        return Optional.ofNullable(defaultModel);
    }

    /** Returns whether no model is declared and none is created by default. */
    public boolean isEmpty() {
        return declared.isEmpty() && defaultModel == null;
    }

    @Override
    public String toString() {
        return "models " + declared.keySet() + (defaultModel == null ? "" : " and a default model");
    }
}
