import type { DatasetMetadataInput, UseCaseInput } from '@swf/protocol'

// The demo region: seven Kommunen of Südwestfalen with their real AGS and
// sample datasets written for this project (bboxes inside the real towns).

export interface SampleFile {
  distributionId: string
  file: string
  mediaType: string
  title: string
}
export interface SampleDataset {
  metadata: DatasetMetadataInput
  files: SampleFile[]
}
export interface DemoKommune {
  name: string
  ags: string
  datasets: SampleDataset[]
}

const contact = (name: string, domain: string) => ({ name, email: `opendata@${domain}.example` })

export const REGION: DemoKommune[] = [
  {
    name: 'Stadt Arnsberg',
    ags: '05958004',
    datasets: [
      {
        metadata: {
          id: 'radrouten',
          title: 'Radrouten im Stadtgebiet Arnsberg',
          description:
            'Ausgeschilderte Radrouten (Ruhrtalradweg, Möhnetalroute, Innenstadtring) mit Belag, Länge und Beschilderung, als Linien.',
          keywords: ['Radweg', 'Radverkehr', 'Mobilität', 'Ruhrtalradweg'],
          themes: ['TRAN'],
          license: 'dl-by-de/2.0',
          spatial: { ags: '05958004', bbox: [7.93, 51.37, 8.11, 51.48] },
          accrualPeriodicity: 'ANNUAL',
          contactPoint: contact('Stadt Arnsberg, Fachdienst Mobilität', 'arnsberg')
        },
        files: [
          {
            distributionId: 'radrouten-geojson',
            file: 'arnsberg-radrouten.geojson',
            mediaType: 'application/geo+json',
            title: 'Radrouten (GeoJSON)'
          }
        ]
      }
    ]
  },
  {
    name: 'Stadt Bad Berleburg',
    ags: '05970004',
    datasets: [
      {
        metadata: {
          id: 'wanderwege',
          title: 'Wanderwege rund um Bad Berleburg',
          description: 'Rothaarsteig-Etappe und Wisent-Wildnis-Rundweg mit Länge, Schwierigkeit und Markierung.',
          keywords: ['Wandern', 'Tourismus', 'Rothaarsteig'],
          themes: ['EDUC', 'REGI'],
          license: 'dl-zero-de/2.0',
          spatial: { ags: '05970004', bbox: [8.33, 51.03, 8.43, 51.08] },
          contactPoint: contact('Touristik Bad Berleburg', 'bad-berleburg')
        },
        files: [
          {
            distributionId: 'wanderwege-geojson',
            file: 'bad-berleburg-wanderwege.geojson',
            mediaType: 'application/geo+json',
            title: 'Wanderwege (GeoJSON)'
          }
        ]
      }
    ]
  },
  {
    name: 'Stadt Menden (Sauerland)',
    ags: '05962040',
    datasets: [
      {
        metadata: {
          id: 'verkehrszaehlung',
          title: 'Verkehrszählung an Sensorzählstellen',
          description: 'Stündliche Zählwerte (Kfz und Rad) der Sensorzählstellen Hauptstraße, Bahnhofstraße und Werler Straße.',
          keywords: ['Verkehr', 'Sensor', 'Zählstelle', 'Zeitreihe'],
          themes: ['TRAN'],
          license: 'dl-by-de/2.0',
          spatial: { ags: '05962040', bbox: [7.77, 51.42, 7.83, 51.47] },
          accrualPeriodicity: 'HOURLY',
          temporal: { start: '2026-05-12', end: '2026-05-12' },
          contactPoint: contact('Stadt Menden, Tiefbau', 'menden')
        },
        files: [{ distributionId: 'zaehlwerte-csv', file: 'menden-verkehrszaehlung.csv', mediaType: 'text/csv', title: 'Zählwerte (CSV)' }]
      }
    ]
  },
  {
    name: 'Stadt Olpe',
    ags: '05966024',
    datasets: [
      {
        metadata: {
          id: 'kita-plaetze',
          title: 'Kita-Plätze in Olpe',
          description: 'Kindertagesstätten mit Träger, Adresse, Plätzen insgesamt, freien Plätzen und U3-Plätzen.',
          keywords: ['Kita', 'Kinderbetreuung', 'Familie'],
          themes: ['SOCI', 'EDUC'],
          license: 'dl-zero-de/2.0',
          spatial: { ags: '05966024', bbox: [7.82, 51.0, 7.89, 51.05] },
          accrualPeriodicity: 'MONTHLY',
          contactPoint: contact('Stadt Olpe, Jugendamt', 'olpe')
        },
        files: [{ distributionId: 'kitas-csv', file: 'olpe-kita-plaetze.csv', mediaType: 'text/csv', title: 'Kitas (CSV)' }]
      }
    ]
  },
  {
    name: 'Stadt Soest',
    ags: '05974040',
    datasets: [
      {
        metadata: {
          id: 'strassenzustand',
          title: 'Straßenzustandserfassung 2026',
          description: 'Schadstellen (Schlaglöcher, Risse, Absenkungen) aus der Befahrung im Frühjahr 2026, mit Schadensklasse und Datum.',
          keywords: ['Straße', 'Straßenschäden', 'Schlagloch'],
          themes: ['TRAN', 'REGI'],
          license: 'dl-by-de/2.0',
          spatial: { ags: '05974040', bbox: [8.05, 51.54, 8.17, 51.6] },
          temporal: { start: '2026-03-01', end: '2026-04-30' },
          contactPoint: contact('Stadt Soest, Tiefbauamt', 'soest')
        },
        files: [
          {
            distributionId: 'schadstellen-geojson',
            file: 'soest-strassenschaeden.geojson',
            mediaType: 'application/geo+json',
            title: 'Schadstellen (GeoJSON)'
          },
          { distributionId: 'schadstellen-csv', file: 'soest-strassenschaeden.csv', mediaType: 'text/csv', title: 'Schadstellen (CSV)' }
        ]
      }
    ]
  },
  {
    name: 'Stadt Iserlohn',
    ags: '05962024',
    datasets: [
      {
        metadata: {
          id: 'parken',
          title: 'Parkhäuser und Parkplätze in Iserlohn',
          description: 'Parkhäuser, Tiefgaragen und Parkplätze der Innenstadt mit Stellplätzen, freien Plätzen und Gebühr.',
          keywords: ['Parken', 'Parkhaus', 'Innenstadt'],
          themes: ['TRAN'],
          license: 'cc-by/4.0',
          spatial: { ags: '05962024', bbox: [7.66, 51.35, 7.73, 51.39] },
          accrualPeriodicity: 'CONT',
          contactPoint: contact('Stadt Iserlohn, Ordnungsamt', 'iserlohn')
        },
        files: [{ distributionId: 'parken-csv', file: 'iserlohn-parken.csv', mediaType: 'text/csv', title: 'Parkstände (CSV)' }]
      }
    ]
  },
  {
    name: 'Stadt Plettenberg',
    ags: '05962052',
    datasets: [
      {
        metadata: {
          id: '3d-stadtmodell',
          title: '3D-Stadtmodell Plettenberg (LoD2)',
          description:
            'Gebäudemodell im Detaillierungsgrad LoD2 als 3D-Tiles-Kachelsatz; der Kachelsatz liegt beim Geodatendienst, hier ist der Verweis.',
          keywords: ['3D-Stadtmodell', 'Gebäude', 'Digitaler Zwilling'],
          themes: ['REGI', 'TECH'],
          license: 'dl-by-de/2.0',
          spatial: { ags: '05962052', bbox: [7.83, 51.19, 7.91, 51.23] },
          contactPoint: contact('Stadt Plettenberg, Geoinformation', 'plettenberg'),
          distributions: [
            {
              id: 'tileset',
              title: '3D Tiles (tileset.json)',
              format: 'JSON',
              mediaType: 'application/json',
              license: 'dl-by-de/2.0',
              accessURL: 'https://3d.plettenberg.example/lod2/tileset.json'
            }
          ]
        },
        files: []
      }
    ]
  }
]

/** A sample use case, its datasets named by AGS (the demo resolves them to peer ids). */
export interface SampleUseCase {
  ags: string
  useCase: Omit<UseCaseInput, 'datasets' | 'takesOver'> & {
    datasets: Array<{ role: string; ags: string; datasetId: string }>
    takesOver?: { ags: string; useCaseId: string }
  }
}

const ARNSBERG = '05958004'
const MENDEN = '05962040'
const OLPE = '05966024'
const SOEST = '05974040'

/** Use cases written for this project: originals first, then the take-overs of other Kommunen. */
export const USE_CASES: SampleUseCase[] = [
  {
    ags: ARNSBERG,
    useCase: {
      id: 'radrouten-app',
      title: 'Radrouten-App Arnsberg',
      description:
        'Eine Web-App zeigt die ausgeschilderten Radrouten mit Belag, Länge und Beschilderung auf der Karte und führt zur nächsten Route. Die Routen kommen aus dem offenen Datensatz der Stadt.',
      problem: 'Radfahrende und Gäste fanden die Routen des Radverkehrsnetzes NRW in keiner gängigen App mit Belag und Steigung.',
      status: 'in-operation',
      datasets: [{ role: 'Radrouten', ags: ARNSBERG, datasetId: 'radrouten' }],
      needs: {
        themes: ['TRAN'],
        formats: ['GEOJSON'],
        schema: 'Eine LineString je Route; Eigenschaften name, belag, laenge_km, beschilderung.'
      },
      links: [
        { kind: 'source', url: 'https://git.arnsberg.example/mobilitaet/radrouten-app' },
        { kind: 'website', url: 'https://radrouten.arnsberg.example/' }
      ],
      softwareLicense: 'EUPL-1.2',
      contactPoint: { name: 'Stadt Arnsberg, Fachdienst Mobilität', email: 'opendata@arnsberg.example' }
    }
  },
  {
    ags: SOEST,
    useCase: {
      id: 'strassenschaeden-erfassung',
      title: 'Straßenschäden-Erfassung per App',
      description:
        'Teams des Bauhofs erfassen Schlaglöcher, Risse und Absenkungen mit Position, Foto und Schadensklasse; die Schadstellen werden als offener Datensatz veröffentlicht.',
      problem:
        'Schäden wurden auf Papier notiert, doppelt gemeldet oder gingen verloren; die Priorisierung der Reparaturen war nicht nachvollziehbar.',
      status: 'in-operation',
      datasets: [{ role: 'Schadstellen', ags: SOEST, datasetId: 'strassenzustand' }],
      needs: {
        themes: ['TRAN'],
        formats: ['GEOJSON', 'CSV'],
        schema: 'Punkt je Schaden; schadensart, strasse, klasse (1–5), erfasst (Datum).'
      },
      links: [{ kind: 'documentation', url: 'https://www.soest.example/strassenzustand/anleitung' }],
      softwareLicense: 'EUPL-1.2'
    }
  },
  {
    ags: MENDEN,
    useCase: {
      id: 'verkehrszaehler',
      title: 'Verkehrszähler an Hauptstraßen',
      description:
        'Zählstellen erfassen stündlich Kraftfahrzeuge und Räder; die Zählwerte fließen offen in die Verkehrsplanung und in gemeinsame Projekte.',
      problem:
        'Verkehrsplanung stützte sich auf Einzelzählungen alle paar Jahre; Wirkung von Baustellen und Umleitungen war nicht messbar.',
      status: 'pilot',
      datasets: [{ role: 'Zählwerte', ags: MENDEN, datasetId: 'verkehrszaehlung' }],
      needs: { themes: ['TRAN'], formats: ['CSV'], schema: 'Zeile je Stunde und Zählstelle: zeit, zaehlstelle, lat, lon, kfz, rad.' },
      links: [],
      softwareLicense: 'MIT'
    }
  },
  {
    ags: OLPE,
    useCase: {
      id: 'kita-platzfinder',
      title: 'Kita-Platzfinder Olpe',
      description: 'Eltern sehen freie Plätze und U3-Plätze aller Kitas der Stadt auf einer Karte, tagesaktuell aus dem offenen Datensatz.',
      problem: 'Eltern mussten jede Kita einzeln anrufen, um freie Plätze zu finden.',
      status: 'in-operation',
      datasets: [{ role: 'Kitas', ags: OLPE, datasetId: 'kita-plaetze' }],
      needs: {
        themes: ['EDUC'],
        formats: ['CSV'],
        schema: 'Zeile je Kita: kita, traeger, strasse, lat, lon, plaetze_gesamt, plaetze_frei, u3_plaetze.'
      },
      links: [{ kind: 'website', url: 'https://kita.olpe.example/' }],
      softwareLicense: 'EUPL-1.2'
    }
  },
  // Take-overs: Menden and Soest run Arnsberg's app; their bike routes are being digitised (the role is still open).
  ...[MENDEN, SOEST].map(ags => ({
    ags,
    useCase: {
      id: 'radrouten-app',
      title: 'Radrouten-App (übernommen von Arnsberg)',
      description: 'Die Radrouten-App der Stadt Arnsberg, betrieben für das eigene Stadtgebiet.',
      problem: 'Auch hier fehlten die ausgeschilderten Radrouten in gängigen Apps.',
      status: 'pilot' as const,
      datasets: [],
      needs: { themes: ['TRAN' as const], formats: ['GEOJSON'] },
      links: [{ kind: 'source' as const, url: 'https://git.arnsberg.example/mobilitaet/radrouten-app' }],
      softwareLicense: 'EUPL-1.2',
      takesOver: { ags: ARNSBERG, useCaseId: 'radrouten-app' }
    }
  }))
]
