// The 59 Kommunen of Südwestfalen in its five Kreise, with the position of
// each town centre (WGS84, rounded to about 1 km). Shipped as data: the web
// map draws the Kreise and names from it without a tile server, and a
// dataset's AGS in one of these Kreise must be one of these keys.

export interface Kreis {
  prefix: string
  name: string
}
export interface Kommune {
  ags: string
  name: string
  lon: number
  lat: number
}

export const KREISE: Kreis[] = [
  { prefix: '05958', name: 'Hochsauerlandkreis' },
  { prefix: '05962', name: 'Märkischer Kreis' },
  { prefix: '05966', name: 'Kreis Olpe' },
  { prefix: '05970', name: 'Kreis Siegen-Wittgenstein' },
  { prefix: '05974', name: 'Kreis Soest' }
]

const K = (ags: string, name: string, lon: number, lat: number): Kommune => ({ ags, name, lon, lat })

export const KOMMUNEN: Kommune[] = [
  K('05958004', 'Arnsberg', 8.06, 51.4),
  K('05958008', 'Bestwig', 8.4, 51.36),
  K('05958012', 'Brilon', 8.57, 51.39),
  K('05958016', 'Eslohe', 8.17, 51.25),
  K('05958020', 'Hallenberg', 8.62, 51.11),
  K('05958024', 'Marsberg', 8.85, 51.46),
  K('05958028', 'Medebach', 8.71, 51.2),
  K('05958032', 'Meschede', 8.28, 51.35),
  K('05958036', 'Olsberg', 8.49, 51.36),
  K('05958040', 'Schmallenberg', 8.28, 51.15),
  K('05958044', 'Sundern', 8.0, 51.33),
  K('05958048', 'Winterberg', 8.53, 51.19),
  K('05962004', 'Altena', 7.67, 51.3),
  K('05962008', 'Balve', 7.87, 51.33),
  K('05962012', 'Halver', 7.5, 51.19),
  K('05962016', 'Hemer', 7.77, 51.39),
  K('05962020', 'Herscheid', 7.74, 51.18),
  K('05962024', 'Iserlohn', 7.7, 51.38),
  K('05962028', 'Kierspe', 7.59, 51.14),
  K('05962032', 'Lüdenscheid', 7.63, 51.22),
  K('05962036', 'Meinerzhagen', 7.64, 51.11),
  K('05962040', 'Menden', 7.8, 51.44),
  K('05962044', 'Nachrodt-Wiblingwerde', 7.62, 51.32),
  K('05962048', 'Neuenrade', 7.78, 51.28),
  K('05962052', 'Plettenberg', 7.87, 51.21),
  K('05962056', 'Schalksmühle', 7.52, 51.24),
  K('05962060', 'Werdohl', 7.76, 51.26),
  K('05966004', 'Attendorn', 7.9, 51.13),
  K('05966008', 'Drolshagen', 7.77, 51.02),
  K('05966012', 'Finnentrop', 7.97, 51.17),
  K('05966016', 'Kirchhundem', 8.09, 51.1),
  K('05966020', 'Lennestadt', 8.04, 51.13),
  K('05966024', 'Olpe', 7.84, 51.03),
  K('05966028', 'Wenden', 7.87, 50.97),
  K('05970004', 'Bad Berleburg', 8.39, 51.05),
  K('05970008', 'Bad Laasphe', 8.42, 50.93),
  K('05970012', 'Burbach', 8.08, 50.75),
  K('05970016', 'Erndtebrück', 8.26, 50.99),
  K('05970020', 'Freudenberg', 7.87, 50.9),
  K('05970024', 'Hilchenbach', 8.11, 50.99),
  K('05970028', 'Kreuztal', 7.99, 50.97),
  K('05970032', 'Netphen', 8.1, 50.92),
  K('05970036', 'Neunkirchen', 8.0, 50.8),
  K('05970040', 'Siegen', 8.02, 50.87),
  K('05970044', 'Wilnsdorf', 8.1, 50.82),
  K('05974004', 'Anröchte', 8.33, 51.57),
  K('05974008', 'Bad Sassendorf', 8.17, 51.58),
  K('05974012', 'Ense', 7.96, 51.48),
  K('05974016', 'Erwitte', 8.34, 51.61),
  K('05974020', 'Geseke', 8.51, 51.64),
  K('05974024', 'Lippetal', 8.1, 51.68),
  K('05974028', 'Lippstadt', 8.35, 51.67),
  K('05974032', 'Möhnesee', 8.13, 51.5),
  K('05974036', 'Rüthen', 8.48, 51.49),
  K('05974040', 'Soest', 8.11, 51.57),
  K('05974044', 'Warstein', 8.35, 51.44),
  K('05974048', 'Welver', 7.96, 51.62),
  K('05974052', 'Werl', 7.91, 51.55),
  K('05974056', 'Wickede (Ruhr)', 7.87, 51.5)
]

/** Germany's extent with a margin: a dataset of a German Kommune lies inside it. */
export const GERMANY_BBOX: [number, number, number, number] = [5.5, 47.0, 15.5, 55.2]

/** Why an AGS in one of Südwestfalen's Kreise is not one of its Kommunen; undefined when it is (or lies elsewhere). */
export function regionalAgsProblem(ags: string): string | undefined {
  const kreis = KREISE.find(k => ags.startsWith(k.prefix))
  if (kreis === undefined || KOMMUNEN.some(k => k.ags === ags)) return undefined
  const known = KOMMUNEN.filter(k => k.ags.startsWith(kreis.prefix))
    .map(k => `${k.ags} ${k.name}`)
    .join(', ')
  return `${ags} is no Kommune of the ${kreis.name} (its keys: ${known})`
}

/** Why a bbox cannot be a German dataset's extent (e.g. latitude and longitude swapped); undefined when it can. */
export function bboxProblem([minLon, minLat, maxLon, maxLat]: readonly number[]): string | undefined {
  const [gMinLon, gMinLat, gMaxLon, gMaxLat] = GERMANY_BBOX
  const meets = (a: number, b: number, c: number, d: number): boolean => c >= gMinLon && a <= gMaxLon && d >= gMinLat && b <= gMaxLat
  if (meets(minLon!, minLat!, maxLon!, maxLat!)) return undefined
  if (meets(minLat!, minLon!, maxLat!, maxLon!)) {
    return `latitude and longitude look swapped: bbox is [minLon, minLat, maxLon, maxLat], e.g. [${minLat}, ${minLon}, ${maxLat}, ${maxLon}]`
  }
  return `bbox [${minLon}, ${minLat}, ${maxLon}, ${maxLat}] lies outside Germany; it is [minLon, minLat, maxLon, maxLat] in WGS84 degrees`
}
