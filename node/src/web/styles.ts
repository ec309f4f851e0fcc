// The UI's only stylesheet, served from the node itself (no CDN, works offline).
export const STYLES = `
:root { --blau: #0b4f6c; --gruen: #2e7d32; --grau: #5f6b73; --hell: #f3f6f8; --rot: #b3261e; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d2327; background: #fff; }
header { background: var(--blau); color: #fff; padding: .6rem 1.2rem; display: flex; gap: 1.5rem; align-items: center; flex-wrap: wrap; }
header a { color: #fff; text-decoration: none; } header a:hover, header a[aria-current] { text-decoration: underline; }
header .marke { font-weight: 700; font-size: 1.1rem; margin-right: auto; }
main { max-width: 72rem; margin: 0 auto; padding: 1.2rem; }
h1 { font-size: 1.6rem; margin: .2rem 0 1rem; } h2 { font-size: 1.2rem; margin: 1.5rem 0 .5rem; }
.suche { display: flex; gap: .5rem; margin-bottom: 1rem; } .suche input[type=search] { flex: 1; }
input, select, textarea, button { font: inherit; padding: .45rem .6rem; border: 1px solid #9aa5ad; border-radius: 4px; }
button, .knopf { background: var(--blau); color: #fff; border: 0; cursor: pointer; padding: .5rem 1rem; border-radius: 4px; text-decoration: none; display: inline-block; }
.zweispaltig { display: grid; grid-template-columns: 15rem 1fr; gap: 1.5rem; }
@media (max-width: 700px) { .zweispaltig { grid-template-columns: 1fr; } }
.facetten h3 { font-size: .95rem; margin: 1rem 0 .3rem; color: var(--grau); } .facetten ul { list-style: none; padding: 0; margin: 0; }
.facetten a { text-decoration: none; color: var(--blau); } .facetten a.aktiv { font-weight: 700; }
.treffer { list-style: none; padding: 0; } .treffer li { border-bottom: 1px solid #dde3e7; padding: .8rem 0; }
.treffer h3 { margin: 0; font-size: 1.05rem; } .meta { color: var(--grau); font-size: .9rem; }
.status-online { color: var(--gruen); } .status-offline { color: var(--rot); }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid #dde3e7; vertical-align: top; }
.karte { width: 100%; max-width: 48rem; border: 1px solid #dde3e7; background: var(--hell); }
.karte rect { fill: rgba(11,79,108,.18); stroke: var(--blau); stroke-width: 1.5; } .karte rect.gruppe { fill: rgba(11,79,108,.32); stroke-width: 2.5; }
.karte .beschriftung text { font-size: 11px; fill: #1d2327; paint-order: stroke; stroke: #fff; stroke-width: 3px; }
.karte .kreise polygon { fill: #eef2e6; stroke: #8a9a7b; stroke-width: 1; stroke-dasharray: 4 3; }
.karte .kommunen circle { fill: #6b7780; } .karte .kommunen text { font-size: 9px; fill: #4a555c; }
.karte .merkmal circle { fill: #c0392b; stroke: #fff; stroke-width: 1; } .karte .merkmal polyline { fill: none; stroke: #c0392b; stroke-width: 2.5; }
.karte .merkmal path { fill: rgba(192,57,43,.25); stroke: #c0392b; stroke-width: 1.5; }
.karte .kommunen circle.markiert { fill: #2e7d32; stroke: #fff; stroke-width: 1.5; } .karte .kommunen text.markiert { font-size: 13px; fill: #1d2327; font-weight: 600; }
.fehlt { color: #a12622; } .bilder { display: flex; gap: 1rem; flex-wrap: wrap; } .bilder img { max-width: 16rem; border: 1px solid #dde3e7; }
.vorschau { overflow-x: auto; } .vorschau table { font-size: .85rem; }
.formular label { display: block; margin: .8rem 0 .2rem; font-weight: 600; } .formular input[type=text], .formular textarea, .formular select { width: 100%; }
.fehler { color: var(--rot); font-size: .9rem; } .hinweis { background: var(--hell); padding: .6rem .8rem; border-left: 4px solid var(--blau); }
.blaettern { display: flex; gap: 1rem; margin-top: 1rem; }
`
