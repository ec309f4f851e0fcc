import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sampleDataset } from '../helpers/fixtures.js'
import { tempDir } from '../helpers/node.js'
import { TestRegion, waitFor, type RegionNode } from '../helpers/region.js'

// Debian's chromium (.ci/run installs it); flags as the workplace's probe uses them.
const CHROMIUM = process.env.SWF_CHROMIUM ?? '/usr/bin/chromium'
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync'
]

// Generous timeouts: CI runs this next to the load tests on 2 cores, and a
// starved browser is slow, not wrong (speed is measured by the benchmark).
describe('German web UI in a real browser', { timeout: 150_000 }, () => {
  const region = new TestRegion()
  const dir = tempDir('swf-ui-')
  let soest: RegionNode, olpe: RegionNode
  let browser: Browser | undefined
  let page: Page
  const csv = 'id;lat;lon;schadensart\n1;51.57;8.10;Schlagloch\n2;51.58;8.11;Riss\n'

  beforeAll(async () => {
    await region.startRegistry()
    soest = await region.addNode('Stadt Soest', '05974040')
    olpe = await region.addNode('Stadt Olpe', '05966024')
    await region.publish(
      soest,
      sampleDataset({
        id: 'strassenschaeden',
        title: 'Straßenschäden Soest',
        description: 'Schlaglöcher und Risse aus der Befahrung 2026.',
        spatial: { bbox: [8.05, 51.54, 8.17, 51.6] }
      })
    )
    const upload = await fetch(`${soest.node.url}/api/v1/datasets/strassenschaeden/distributions/schaeden-csv?title=Schadstellen`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${soest.token}`, 'content-type': 'text/csv' },
      body: csv
    })
    expect(upload.status).toBe(201)
    // Both entries (the dataset, then its file): with only the first, the page has no download link.
    await waitFor(() => region.contentHash(olpe).hash === region.contentHash(soest).hash, "Soest's dataset and its file at Olpe")
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS })
    page = await browser.newPage({ acceptDownloads: true, locale: 'de-DE' })
    page.setDefaultTimeout(120_000)
  })
  afterAll(async () => {
    await browser?.close()
    await region.close()
  })

  it("searches the regional catalog, opens a neighbour's dataset and downloads its file", async () => {
    await page.goto(`${olpe.node.url}/`)
    expect(await page.locator('h1').textContent()).toBe('Offene Daten der Region')
    await page.fill('input[name=q]', 'Schlaglöcher')
    await page.click('button:has-text("Suchen")')
    await page.waitForURL(/q=Schlagl/)
    expect(await page.locator('.treffer li').count()).toBe(1)
    expect(await page.locator('.facetten').textContent()).toContain('Stadt Soest (1)')
    await page.click('text=Straßenschäden Soest')
    await page.waitForURL(/\/datensatz\//)
    const body = await page.locator('main').textContent()
    expect(body).toContain('Herkunft')
    expect(body).toContain('Stadt Soest')
    expect(body).toContain('(online)')
    expect(await page.locator('svg.karte rect').count()).toBe(1)
    expect(await page.locator('a:has-text("Herunterladen")').count(), 'download link on the dataset page').toBe(1)
    const href = await page.locator('a:has-text("Herunterladen")').getAttribute('href')
    expect(href).toBe(`/api/v1/catalog/${soest.node.peerId}/strassenschaeden/distributions/schaeden-csv/schaeden-csv.csv`)
    // A download that never starts says what the node answers for the same URL.
    const nodeSays = async (): Promise<string> => {
      const res = await fetch(`${olpe.node.url}${href}`, { signal: AbortSignal.timeout(10_000) }).catch((err: unknown) => err as Error)
      return res instanceof Error ? `node: ${res.message}` : `node: ${res.status} ${(await res.text()).slice(0, 300)}`
    }
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('text=Herunterladen')]).catch(async (err: unknown) => {
      throw new Error(`${(err as Error).message}\n${await nodeSays()}`)
    })
    const failure = await download.failure()
    if (failure !== null) throw new Error(`download failed: ${failure}\n${await nodeSays()}`)
    expect(download.suggestedFilename()).toBe('schaeden-csv.csv')
    expect(readFileSync(await download.path(), 'utf8')).toBe(csv)
  })

  it('shows the region and the map', async () => {
    await page.goto(`${olpe.node.url}/region`)
    const rows = await page.locator('tbody tr').allTextContents()
    expect(rows.join('\n')).toMatch(/Stadt Olpe \(dieser Knoten\)05966024online/)
    expect(rows.join('\n')).toMatch(/Stadt Soest05974040online/)
    await page.goto(`${olpe.node.url}/karte`)
    expect(await page.locator('svg.karte a rect').count()).toBeGreaterThanOrEqual(1)
  })

  it('publishes through the admin form, with validation messages', async () => {
    await page.goto(`${olpe.node.url}/verwaltung`)
    await page.fill('input[name=token]', 'falsch')
    await page.click('button:has-text("Anmelden")')
    expect(await page.locator('.fehler').textContent()).toContain('nicht gültig')
    await page.fill('input[name=token]', olpe.token)
    await page.click('button:has-text("Anmelden")')
    await page.click('text=Neuen Datensatz veröffentlichen')
    await page.fill('input[name=title]', 'Kita-Plätze Olpe')
    await page.fill('textarea[name=description]', 'Freie Plätze in den Kindertagesstätten der Stadt Olpe.')
    await page.selectOption('select[name=license]', 'dl-zero-de/2.0')
    await page.check('input[name=themes][value=SOCI]')
    await page.fill('input[name=keywords]', 'Kita, Betreuung')
    await page.fill('input[name=ags]', '123')
    await page.fill('input[name=bbox]', '51.0, 7.8, 51.1, 7.9')
    await page.fill('textarea[name=description]', '')
    await page.evaluate(() => {
      for (const e of (globalThis as any).document.querySelectorAll('[required]')) e.removeAttribute('required')
    }) // as a browser without validation sends it
    await page.click('button:has-text("Veröffentlichen")')
    // Every mistake at once, each next to its field.
    const errors = await page.locator('.fehler').allTextContents()
    expect(errors).toContain('AGS: kein Gemeindeschlüssel – 8 Ziffern, die ersten beiden das Land (01–16), z. B. 05974040.')
    expect(errors).toContain('Beschreibung: bitte ausfüllen.')
    expect(errors.some(e => e.startsWith('Ausdehnung: Länge und Breite scheinen vertauscht'))).toBe(true)
    await page.fill('textarea[name=description]', 'Freie Plätze in den Kindertagesstätten der Stadt Olpe.')
    await page.fill('input[name=bbox]', '')
    expect(await page.inputValue('input[name=title]')).toBe('Kita-Plätze Olpe') // the form keeps what was typed
    await page.fill('input[name=ags]', '05966024')
    const file = join(dir, 'kita.csv')
    writeFileSync(file, 'kita;frei\nSonnenschein;4\n')
    await page.setInputFiles('input[name=file]', file)
    await page.click('button:has-text("Veröffentlichen")')
    await page.waitForURL(/\/datensatz\/.*\/kita-plaetze-olpe$/)
    const main = await page.locator('main').textContent()
    expect(main).toContain('Kita-Plätze Olpe')
    expect(main).toContain('kita.csv')
    const stored = ((await (await fetch(`${olpe.node.url}/api/v1/datasets/kita-plaetze-olpe`)).json()) as any).dataset
    expect(stored).toMatchObject({
      themes: ['SOCI'],
      keywords: ['Kita', 'Betreuung'],
      license: 'dl-zero-de/2.0',
      spatial: { ags: '05966024' }
    })
    expect(stored.distributions[0]).toMatchObject({ format: 'CSV', byteSize: 25 })
    // …and the neighbour sees it.
    await waitFor(() => region.datasetIds(soest).includes('kita-plaetze-olpe'), 'published dataset reaches Soest')
  })

  it('draws a readable map: Kreise, Kommune names, one cluster for 50 datasets with one extent, no label over another', async () => {
    for (let i = 1; i <= 50; i++) {
      const res = await fetch(`${olpe.node.url}/api/v1/datasets`, {
        method: 'POST',
        headers: { authorization: `Bearer ${olpe.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          id: `messreihe-${i}`,
          title: `Messreihe ${i}`,
          description: 'Pegel an der Bigge',
          license: 'cc-zero',
          spatial: { bbox: [7.8, 51.0, 7.9, 51.06] }
        })
      })
      expect(res.status).toBe(201)
    }
    await page.goto(`${olpe.node.url}/karte`)
    expect(await page.locator('svg.karte .kreise polygon').count()).toBe(5)
    const towns = await page.locator('svg.karte .kommunen text').allTextContents()
    expect(towns).toEqual(expect.arrayContaining(['Attendorn', 'Meschede', 'Siegen', 'Lippstadt']))
    expect(await page.locator('svg.karte rect.gruppe').count()).toBe(1)
    expect(await page.locator('svg.karte .beschriftung text').allTextContents()).toContain('50 Datensätze')
    const boxes = await page.locator('svg.karte text').evaluateAll(ts =>
      ts.map(t => {
        const b = (t as unknown as { getBBox: () => { x: number; y: number; width: number; height: number } }).getBBox()
        return [b.x, b.y, b.x + b.width, b.y + b.height]
      })
    )
    const overlapping = boxes.flatMap((a, i) =>
      boxes
        .slice(i + 1)
        .filter(b => a[0]! < b[2]! - 1 && a[2]! > b[0]! + 1 && a[1]! < b[3]! - 1 && a[3]! > b[1]! + 1)
        .map(b => [a, b])
    )
    expect(overlapping).toEqual([])
    // The cluster opens a catalog search of its area.
    await page.click('svg.karte rect.gruppe')
    await page.waitForURL(/\/\?bbox=7\.8,51,7\.9,51\.06/)
    expect(await page.locator('.meta').first().textContent()).toMatch(/^5\d Datensätze$/)
  })

  it('shows licences and formats by name, no empty slots, and sorts the admin list as people count', async () => {
    await page.goto(`${olpe.node.url}/?q=Kita`)
    const meta = await page.locator('.treffer .meta').first().textContent()
    expect(meta).toContain('Datenlizenz Deutschland – Zero – 2.0')
    await page.goto(`${olpe.node.url}/?q=Messreihe`)
    const metas = await page.locator('.treffer .meta').allTextContents()
    expect(metas.every(m => !/·\s*·/.test(m))).toBe(true) // no themes: no empty slot
    expect(await page.locator('.facetten').textContent()).toContain('Creative Commons CC Zero (CC0 1.0)')
    await page.goto(`${olpe.node.url}/datensatz/${olpe.node.peerId}/kita-plaetze-olpe`)
    const files = await page.locator('table').first().textContent()
    expect(files).toContain('kita.csv')
    expect(files).toContain('Datenlizenz Deutschland – Zero – 2.0')
    await page.goto(`${olpe.node.url}/verwaltung`)
    const titles = (await page.locator('tbody tr td:first-child').allTextContents()).filter(t => t.startsWith('Messreihe'))
    expect(titles.slice(0, 11)).toEqual(Array.from({ length: 11 }, (_, i) => `Messreihe ${i + 1}`))
  })

  it("shows a file's features on a map and a CSV's first rows as a table, all drawn by the node itself", async () => {
    const hosts = new Set<string>()
    const track = (r: { url: () => string }): void => {
      hosts.add(new URL(r.url()).host)
    }
    page.on('request', track)
    // Olpe's node shows Soest's file: fetched from Soest and verified, as a download is.
    await page.goto(`${olpe.node.url}/datensatz/${soest.node.peerId}/strassenschaeden`)
    page.off('request', track)
    expect([...hosts]).toEqual([new URL(olpe.node.url).host])
    const map = page.locator('svg.features')
    expect(await map.locator('.merkmal circle').count()).toBe(2)
    expect((await map.locator('.merkmal circle').first().boundingBox())!.width).toBeGreaterThan(0)
    expect(await map.locator('.kommunen text').textContent()).toBe('Soest')
    expect(await map.locator('.kreise polygon').count()).toBe(1)
    expect(await page.locator('.vorschau .meta').first().textContent()).toContain('2 Features')
    expect(await page.locator('.vorschau .meta a').first().getAttribute('href')).toBe(
      `${olpe.node.url}/collections/stadt-soest.strassenschaeden.schaeden-csv`
    )
    const table = page.locator('.vorschau table.tabelle')
    expect(await table.locator('th').allTextContents()).toEqual(['id', 'lat', 'lon', 'schadensart'])
    expect(await table.locator('tbody tr').allTextContents()).toEqual(['151.578.10Schlagloch', '251.588.11Riss'])
  })

  it("finds a neighbour's use case, shows who runs it and what Olpe would need, and takes it over through the form", async () => {
    const api = async (n: RegionNode, path: string, body: unknown): Promise<any> => {
      const res = await fetch(`${n.node.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${n.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body)
      })
      expect(res.status).toBe(201)
      return res.json()
    }
    await api(soest, '/api/v1/use-cases', {
      id: 'strassenschaeden-erfassung',
      title: 'Straßenschäden-Erfassung per App',
      description: 'Bauhof-Teams erfassen Schlaglöcher und Risse mit Foto und Position.',
      problem: 'Schäden wurden auf Papier notiert und gingen verloren.',
      status: 'in-operation',
      datasets: [{ role: 'Schadstellen', publisher: soest.node.peerId, datasetId: 'strassenschaeden' }],
      needs: { themes: ['TRAN'], formats: ['CSV'] }
    })
    await api(olpe, '/api/v1/datasets', sampleDataset({ id: 'baustellen-olpe', title: 'Baustellen Olpe', themes: ['TRAN'] }))
    await waitFor(async () => {
      const res = await fetch(`${olpe.node.url}/api/v1/use-cases?q=Schlagloecher`)
      return ((await res.json()) as any).total === 1
    }, "Soest's use case at Olpe")
    await page.goto(`${olpe.node.url}/anwendungen?q=Straßenschäden`)
    await page.click('text=Straßenschäden-Erfassung per App')
    await page.waitForURL(/\/anwendung\/.*\/strassenschaeden-erfassung$/)
    expect(await page.locator('table.daten td').allTextContents()).toEqual(['Schadstellen', 'Straßenschäden Soest (Stadt Soest)'])
    expect(await page.locator('svg.kommunen-karte text.markiert').allTextContents()).toEqual(['Soest'])
    // Baustellen shares the theme, the Kita file the format (CSV).
    expect(await page.locator('.nachnutzung .kandidaten li').allTextContents()).toEqual(['Baustellen Olpe', 'Kita-Plätze Olpe'])
    // Logged in (an earlier test did): the admin area's form takes it over for Olpe.
    await page.click('.nachnutzung a:has-text("Für Stadt Olpe übernehmen")')
    expect(await page.locator('.nachnutzung select option').allTextContents()).toEqual(['Baustellen Olpe', 'Kita-Plätze Olpe', '(keiner)'])
    await page.click('.nachnutzung button:has-text("Für Stadt Olpe übernehmen")')
    await page.waitForURL(new RegExp(`/anwendung/${olpe.node.peerId}/strassenschaeden-erfassung$`))
    expect(await page.locator('main').textContent()).toContain('Übernommen von')
    expect(await page.locator('table.daten td').allTextContents()).toEqual(['Schadstellen', 'Baustellen Olpe (Stadt Olpe)'])
    await waitFor(async () => {
      const res = await fetch(`${soest.node.url}/api/v1/use-cases/${soest.node.peerId}/strassenschaeden-erfassung`)
      return ((await res.json()) as any).takenOverBy.length === 1
    }, "Olpe's take-over at Soest")
    await page.goto(`${soest.node.url}/anwendung/${soest.node.peerId}/strassenschaeden-erfassung`)
    expect(await page.locator('ul.nutzer li').allTextContents()).toEqual(['Stadt Soest (Original)', 'Stadt Olpe'])
    expect((await page.locator('svg.kommunen-karte text.markiert').allTextContents()).sort()).toEqual(['Olpe', 'Soest'])
    await page.goto(`${soest.node.url}/datensatz/${soest.node.peerId}/strassenschaeden`)
    expect(await page.locator('main').textContent()).toContain('Genutzt in Anwendungen')
  })

  it('renders the OpenAPI reference offline', async () => {
    await page.goto(`${olpe.node.url}/api/docs`)
    await page.waitForSelector('.swagger-ui .info .title', { timeout: 60_000 })
    expect(await page.locator('.swagger-ui .info .title').textContent()).toContain('Südwestfalen data space node')
    expect(await page.locator('.opblock').count()).toBeGreaterThan(30)
  })

  it('sends a CSP without scripts and keeps the admin area behind the token', async () => {
    const res = await fetch(`${olpe.node.url}/`)
    expect(res.headers.get('content-security-policy')).toMatch(/script-src 'none'/)
    const form = await fetch(`${olpe.node.url}/verwaltung/neu`, {
      method: 'POST',
      redirect: 'manual',
      body: new URLSearchParams({ title: 'x' })
    })
    expect(form.status).toBe(303)
    expect(region.datasetIds(olpe)).not.toContain('x')
  })
})
