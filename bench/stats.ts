/** Small statistics helpers: every repeated figure is reported as median with its spread (p10–p90, min–max). */

export type Summary = { n: number; median: number; p10: number; p90: number; min: number; max: number }

/** Nearest-rank percentile on a sorted copy (p in 0..100). */
export const percentile = (values: number[], p: number): number => {
  if (!values.length) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank]!
}

export const median = (values: number[]): number => {
  if (!values.length) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

export const summarize = (values: number[]): Summary => ({
  n: values.length,
  median: round(median(values)),
  p10: round(percentile(values, 10)),
  p90: round(percentile(values, 90)),
  min: round(values.length ? Math.min(...values) : NaN),
  max: round(values.length ? Math.max(...values) : NaN),
})

/** Three significant decimals for small numbers, fewer for large ones (keeps results.json readable). */
export const round = (x: number): number => {
  if (!Number.isFinite(x)) return x
  const abs = Math.abs(x)
  const digits = abs >= 100 ? 1 : abs >= 1 ? 2 : 3
  const f = 10 ** digits
  return Math.round(x * f) / f
}

/** The value most runs agree on (round-trip counts are deterministic; a disagreement is reported, not hidden). */
export const mode = (values: number[]): { value: number; unanimous: boolean } => {
  const counts = new Map<number, number>()
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1)
  let best = NaN
  let bestCount = -1
  for (const [v, c] of counts) if (c > bestCount) [best, bestCount] = [v, c]
  return { value: best, unanimous: counts.size <= 1 }
}
