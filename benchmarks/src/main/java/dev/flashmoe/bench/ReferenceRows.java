package dev.flashmoe.bench;

import dev.flashmoe.ExpertWeights;
import dev.flashmoe.FlashMoe;
import dev.flashmoe.HostTensor;
import dev.flashmoe.InitArgs;
import dev.flashmoe.MoeLayer;
import dev.flashmoe.Routing;

/** The fp64 reference output for a few rows. */
final class ReferenceRows {
    private ReferenceRows() {}

    static double[] compute(InitArgs cpuArgs, ExpertWeights weights, HostTensor x, Routing routing) {
        // TODO(lead): switch to dev.flashmoe.reference.Reference's double output once it lands.
        HostTensor out = HostTensor.allocate(cpuArgs.dataType(), x.shape());
        try (MoeLayer layer = FlashMoe.createLayer(cpuArgs, weights)) {
            layer.forward(x, routing, out);
        }
        float[] f = out.toFloatArray();
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }
}
