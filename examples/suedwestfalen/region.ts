import type { DatasetMetadataInput } from '@swf/protocol'

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
