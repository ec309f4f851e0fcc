// A small SVG chart of the latency results per region size, written by hand
// (a few rectangles and labels; no charting dependency for that).
export interface ChartSeries {
  label: string
  color: string
  values: Array<{ n: number; p50: number; p99: number }>
}

export function latencyChart(title: string, series: ChartSeries[], goalMs?: number): string {
  const sizes = [...new Set(series.flatMap(s => s.values.map(v => v.n)))].sort((a, b) => a - b)
  const max = Math.max(goalMs ?? 0, ...series.flatMap(s => s.values.map(v => v.p99))) * 1.15 || 1
  const W = 720
  const H = 360
  const left = 60
  const bottom = 300
  const top = 40
  const groupW = (W - left - 20) / Math.max(1, sizes.length)
  const barW = Math.min(40, groupW / (series.length * 2 + 1))
  const y = (ms: number): number => bottom - (ms / max) * (bottom - top)
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="15">${title}</text>`,
    `<line x1="${left}" y1="${bottom}" x2="${W - 10}" y2="${bottom}" stroke="#333"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${bottom}" stroke="#333"/>`
  ]
  for (let i = 0; i <= 4; i++) {
    const ms = (max / 4) * i
    parts.push(
      `<text x="${left - 6}" y="${y(ms) + 4}" text-anchor="end">${Math.round(ms)} ms</text>`,
      `<line x1="${left}" y1="${y(ms)}" x2="${W - 10}" y2="${y(ms)}" stroke="#ddd"/>`
    )
  }
  if (goalMs !== undefined)
    parts.push(
      `<line x1="${left}" y1="${y(goalMs)}" x2="${W - 10}" y2="${y(goalMs)}" stroke="#b3261e" stroke-dasharray="6 4"/><text x="${W - 12}" y="${y(goalMs) - 4}" text-anchor="end" fill="#b3261e">Ziel p99 ${goalMs} ms</text>`
    )
  sizes.forEach((n, gi) => {
    const gx = left + gi * groupW + barW
    series.forEach((s, si) => {
      const v = s.values.find(x => x.n === n)
      if (v === undefined) return
      const x = gx + si * barW * 2
      parts.push(
        `<rect x="${x}" y="${y(v.p50)}" width="${barW}" height="${bottom - y(v.p50)}" fill="${s.color}" opacity="0.55"><title>${s.label} p50 ${v.p50} ms</title></rect>`
      )
      parts.push(
        `<rect x="${x + barW}" y="${y(v.p99)}" width="${barW * 0.6}" height="${bottom - y(v.p99)}" fill="${s.color}"><title>${s.label} p99 ${v.p99} ms</title></rect>`
      )
    })
    parts.push(`<text x="${gx + series.length * barW}" y="${bottom + 18}" text-anchor="middle">${n} Knoten</text>`)
  })
  series.forEach((s, i) =>
    parts.push(
      `<rect x="${left + 10 + i * 220}" y="${H - 30}" width="12" height="12" fill="${s.color}"/><text x="${left + 28 + i * 220}" y="${H - 20}">${s.label} (hell p50, dunkel p99)</text>`
    )
  )
  parts.push('</svg>')
  return parts.join('\n')
}
