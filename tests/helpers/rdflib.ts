import { execFileSync } from 'node:child_process'

// rdflib (Debian's python3-rdflib) is an RDF stack that shares no code with
// ours (n3, jsonld.js, graphy): what it reads back is what a harvester reads.
const PYTHON = '/usr/bin/python3'

const SCRIPT = String.raw`
import json, re, sys
import rdflib
from rdflib.compare import isomorphic, to_isomorphic
docs = json.load(sys.stdin)
paging = re.compile(docs["paging"])
graphs = {}
for fmt, text in docs["texts"].items():
    g = rdflib.Graph()
    g.parse(data=text, format=fmt, publicID=docs["base"])
    for s, p, o in list(g):
        if paging.search(str(s)):
            g.remove((s, p, o))
    graphs[fmt] = g
first = next(iter(graphs))
out = {
    "triples": {fmt: len(g) for fmt, g in graphs.items()},
    "isomorphic": {fmt: isomorphic(graphs[first], g) for fmt, g in graphs.items()},
    "literals": sorted({str(o) for g in graphs.values() for _, _, o in g if isinstance(o, rdflib.Literal)}),
    "iris": sorted({str(t) for g in graphs.values() for tr in g for t in tr if isinstance(t, rdflib.URIRef)}),
    "perFormatLiterals": {fmt: sorted({str(o) for _, _, o in g if isinstance(o, rdflib.Literal)}) for fmt, g in graphs.items()},
}
json.dump(out, sys.stdout)
`

export interface RdflibReading {
  triples: Record<string, number>
  isomorphic: Record<string, boolean>
  literals: string[]
  iris: string[]
  perFormatLiterals: Record<string, string[]>
}

/**
 * Parses each text with rdflib (format names: turtle, xml, json-ld), drops the
 * triples of subjects matching `paging` (they name their own format's URL), and
 * tells whether every graph is isomorphic to the first.
 */
export function readWithRdflib(texts: Record<'turtle' | 'xml' | 'json-ld', string>, base: string, paging: RegExp): RdflibReading {
  try {
    execFileSync(PYTHON, ['-c', 'import rdflib'], { stdio: 'pipe' })
  } catch {
    throw new Error(`${PYTHON} has no rdflib: install Debian's python3-rdflib (.ci/run does)`)
  }
  const out = execFileSync(PYTHON, ['-c', SCRIPT], {
    input: JSON.stringify({ texts, base, paging: paging.source }),
    maxBuffer: 64 * 1024 * 1024
  })
  return JSON.parse(out.toString('utf8')) as RdflibReading
}
