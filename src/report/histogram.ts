// Task durations binned for the page: a fixed number of bins whatever the task count, on a log scale
// when durations span more than a decade. Stragglers are the far outliers on the slow side:
// slower than Q3 + 3 × IQR (Tukey's "far out") and at least twice the median.

export interface HistogramData {
  /** Bin edges in ms (bins + 1 of them). */
  edges: number[];
  counts: number[];
  log: boolean;
  count: number;
  min: number;
  median: number;
  p90: number;
  p99: number;
  max: number;
  /** Durations above this (ms) are stragglers; null when there are too few tasks to tell. */
  threshold: number | null;
  stragglers: number;
}

export const BINS = 40;

/** `durations` is sorted in place. */
export function buildHistogram(durations: Float64Array, bins = BINS): HistogramData {
  const n = durations.length;
  durations.sort();
  const q = (p: number) => (n ? durations[Math.min(n - 1, Math.floor(p * (n - 1)))]! : 0);
  const min = n ? durations[0]! : 0;
  const max = n ? durations[n - 1]! : 0;
  const median = q(0.5);
  const q1 = q(0.25);
  const q3 = q(0.75);
  const threshold = n >= 8 ? Math.max(q3 + 3 * (q3 - q1), 2 * median, 1) : null;
  const lo = Math.max(min, 1);
  const log = max / lo > 10;
  const edges: number[] = [];
  for (let b = 0; b <= bins; b++) {
    const f = b / bins;
    edges.push(log ? lo * Math.pow(max / lo, f) : min + (max - min) * f);
  }
  if (log) edges[0] = 0;
  const counts = new Array<number>(bins).fill(0);
  let stragglers = 0;
  const width = edges[bins]! - edges[0]!;
  for (let k = 0; k < n; k++) {
    const d = durations[k]!;
    let b: number;
    if (log) b = d <= lo ? 0 : Math.floor((Math.log(d / lo) / Math.log(max / lo)) * bins);
    else b = width > 0 ? Math.floor(((d - min) / width) * bins) : 0;
    counts[Math.min(bins - 1, Math.max(0, b))]!++;
    if (threshold !== null && d > threshold) stragglers++;
  }
  return {
    edges,
    counts,
    log,
    count: n,
    min,
    median,
    p90: q(0.9),
    p99: q(0.99),
    max,
    threshold,
    stragglers,
  };
}
