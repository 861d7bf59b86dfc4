package org.cyclicalpruning.modelops.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.util.Locale;

/**
 * Where training runs: {@code AUTO} takes a GPU when DJL finds one, else the CPU; {@code GPU}
 * insists on one and fails fast without it.
 *
 * <p>A GPU needs DJL's CUDA build of the PyTorch natives in place of the CPU ones (see the README,
 * "GPU"); with only the CPU natives DJL reports zero GPUs.
 */
public enum DeviceChoice {
    AUTO,
    CPU,
    GPU;

    /**
     * Resolves the choice against the engine's hardware.
     *
     * @return the device to allocate parameters on
     * @throws IllegalStateException if {@code GPU} was asked for and DJL finds none
     */
    public Device resolve() {
        if (this == CPU) {
            // no GPU probe: DJL's looks for libcudart through JNA, whose cleaner thread then keeps
            // the first job's class loader alive for the life of a TaskManager
            return Device.cpu();
        }
        int gpus = Engine.getInstance().getGpuCount();
        switch (this) {
            case GPU:
                if (gpus == 0) {
                    throw new IllegalStateException("device=gpu was requested but DJL's "
                            + Engine.getInstance().getEngineName()
                            + " engine finds no GPU (are the CUDA natives installed in place of"
                            + " pytorch-native-cpu?); use device=cpu or device=auto");
                }
                return Device.gpu();
            default:
                return gpus > 0 ? Device.gpu() : Device.cpu();
        }
    }

    /** Parses {@code auto}, {@code cpu} or {@code gpu}, naming the accepted values otherwise. */
    public static DeviceChoice parse(String text) {
        try {
            return valueOf(text.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid device '" + text + "'; expected auto, cpu or gpu", e);
        }
    }
}
