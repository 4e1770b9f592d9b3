package dev.flashmoe.bench;

import java.util.Arrays;

/**
 * One point of a sweep: the forward's and the router's times (ms) at T tokens, with their floors (NaN without
 * ceilings) and the check.
 */
record SweepRow(int tokens, double[] forwardMs, double[] routerMs, Floor floor, double floorMs, double targetMs,
        double checkError, long droppedRoutes, double routerFloorMs) {
    double median() {
        return quantile(forwardMs, 0.5);
    }

    double p10() {
        return quantile(forwardMs, 0.1);
    }

    double p90() {
        return quantile(forwardMs, 0.9);
    }

    double min() {
        return Arrays.stream(forwardMs).min().orElse(Double.NaN);
    }

    double routerMedian() {
        return routerMs.length == 0 ? Double.NaN : quantile(routerMs, 0.5);
    }

    double tflops() {
        return floor.flops() / (median() * 1e-3) / 1e12;
    }

    double gbps() {
        return floor.bytes() / (median() * 1e-3) / 1e9;
    }

    /** median / floor; NaN when the floor is unknown (no ceilings: the CPU backend). */
    double ratio() {
        return floorMs > 0 ? median() / floorMs : Double.NaN;
    }

    /** router median / the router's floor (reading its inputs once); NaN when either is unknown. */
    double routerRatio() {
        return routerFloorMs > 0 ? routerMedian() / routerFloorMs : Double.NaN;
    }

    /**
     * The q-quantile of unsorted values, interpolated linearly between the order statistics around q (n - 1) (numpy's
     * default, R's type 7): the median of an even count is the mean of the middle two, p10 and p90 of two runs are not
     * simply the faster and the slower one.
     */
    static double quantile(double[] values, double q) {
        if (values.length == 0) {
            return Double.NaN;
        }
        double[] s = values.clone();
        Arrays.sort(s);
        double at = q * (s.length - 1);
        int below = (int) Math.floor(at);
        int above = Math.min(below + 1, s.length - 1);
        return s[below] + (at - below) * (s[above] - s[below]);
    }
}
