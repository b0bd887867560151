// Evaluation: statistics over seeds and prompts. Re-exports; the sampling-based evaluators live with experiments.
export { mean, sampleSd, meanCI, tQuantile, tCdf, incompleteBeta, logGamma, winRate, topShare, ranks, pearson, spearman, type MeanCI } from './stats.js';
