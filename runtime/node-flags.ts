/**
 * V8 settings for the Node processes that analyse text: the language server (the extension starts it with
 * them), the `stride` command (the first line of bin/stride.js), and the benchmarks that stand for them.
 *
 * A 64 MiB young generation: the analysis of a large network keeps every layer alive until it finishes,
 * and with V8's default 16 MiB semi-space a 10,000-layer analysis is copied between semi-spaces mid-way,
 * which made its cost grow faster than its size (measured: 10k/1k time ratio 14–18 with the default,
 * 9–12 with 64 MiB). The memory cost is bounded: the space is reserved, and only used while allocating.
 *
 * No incremental marking: an analysis allocates its result as fast as it can and keeps all of it, so V8's
 * incremental full collection, once started, cannot keep up. It then marks in many small steps on the main
 * thread and adds a write barrier to every store until it gives up and finishes in one pause anyway. In a
 * million-layer analysis that was about a second of its eight; one pause of the same heap costs half that.
 * Measured, 100k and 1M layers interleaved, six cycles a run: 1M/100k 10.1–10.9× with this flag, 10.7–11.8×
 * without. Analysing ResNet-50 over and over, the server pauses about 12 ms for a full collection once in a
 * thousand analyses.
 */
export const ANALYSIS_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=64', '--no-incremental-marking'];
