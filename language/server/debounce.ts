/**
 * How long the server waits after a change before analysing the document. A burst of changes already
 * queued is coalesced by the timer alone (a zero delay runs after the queue). A file slow to analyse (a
 * huge network) is analysed at once on the first change after a pause; while changes keep coming (typing)
 * it waits for them to stop, twice its analysis time, at most 200 ms, so that requests are answered
 * meanwhile.
 */
export function analysisDelay(cost: number, sinceLastChange: number): number {
  const quiet = Math.min(200, 2 * cost);
  return cost < 10 || sinceLastChange >= quiet ? 0 : quiet;
}
