/**
 * V8 settings for the Node processes that analyse text: the language server (the extension starts it with
 * them), the `stride` command (the first line of bin/stride.js), and the benchmarks that stand for them.
 *
 * A 64 MiB young generation: the analysis of a large network keeps every layer alive until it finishes,
 * and with V8's default 16 MiB semi-space a 10,000-layer analysis is copied between semi-spaces mid-way,
 * which made its cost grow faster than its size (measured: 10k/1k time ratio 14–18 with the default,
 * 9–12 with 64 MiB). The memory cost is bounded: the space is reserved, and only used while allocating.
 */
export const ANALYSIS_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=64'];
