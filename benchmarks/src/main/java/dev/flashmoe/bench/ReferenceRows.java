package dev.flashmoe.bench;

import dev.flashmoe.ExpertWeights;
import dev.flashmoe.HostTensor;
import dev.flashmoe.InitArgs;
import dev.flashmoe.Routing;
import dev.flashmoe.reference.Reference;

/** The fp64 reference output (unrounded) for a few rows. */
final class ReferenceRows {
    private ReferenceRows() {}

    static double[] compute(InitArgs args, ExpertWeights weights, HostTensor x, Routing routing) {
        return Reference.forward(args, weights, x, routing).y();
    }
}
