package ai.diffiml.cli;

import java.util.Arrays;

/**
 * Summary of repeated timings (milliseconds): median, 90th percentile (nearest rank: the smallest sample with at
 * least 90% of the samples at or below it), mean, min and max.
 */
record LatencyStats(int count, double median, double p90, double mean, double min, double max) {
    static LatencyStats of(double[] samples) {
        if (samples.length == 0) {
            throw new IllegalArgumentException("no samples");
        }
        double[] s = samples.clone();
        Arrays.sort(s);
        int n = s.length;
        double median = n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
        double p90 = s[(int) Math.ceil(0.9 * n) - 1];
        return new LatencyStats(n, median, p90, Arrays.stream(s).average().orElseThrow(), s[0], s[n - 1]);
    }
}
