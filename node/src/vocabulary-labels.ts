// German names of the DCAT-AP vocabularies' codes (the codes stay in the data).

/** EU data themes (dcat:theme). */
export const THEME_LABELS: Record<string, string> = {
  AGRI: 'Landwirtschaft', ECON: 'Wirtschaft und Finanzen', EDUC: 'Bildung, Kultur und Sport', ENER: 'Energie', ENVI: 'Umwelt',
  GOVE: 'Regierung und öffentlicher Sektor', HEAL: 'Gesundheit', INTR: 'Internationale Themen', JUST: 'Justiz und Sicherheit',
  REGI: 'Regionen und Städte', SOCI: 'Bevölkerung und Gesellschaft', TECH: 'Wissenschaft und Technologie', TRAN: 'Verkehr'
}

/** The dcat-ap.de licence vocabulary. */
export const LICENSE_LABELS: Record<string, string> = {
  'dl-by-de/2.0': 'Datenlizenz Deutschland – Namensnennung – 2.0', 'dl-zero-de/2.0': 'Datenlizenz Deutschland – Zero – 2.0',
  'dl-by-de/1.0': 'Datenlizenz Deutschland – Namensnennung – 1.0', 'dl-by-nc-de/1.0': 'Datenlizenz Deutschland – Namensnennung – nicht kommerziell – 1.0',
  'cc-zero': 'Creative Commons CC Zero (CC0 1.0)', 'cc-by': 'Creative Commons Namensnennung (CC BY)', 'cc-by/4.0': 'Creative Commons Namensnennung 4.0 (CC BY 4.0)',
  'cc-by-de/3.0': 'Creative Commons Namensnennung 3.0 Deutschland', 'cc-by-sa': 'Creative Commons Namensnennung – Weitergabe unter gleichen Bedingungen (CC BY-SA)',
  'cc-by-sa/4.0': 'Creative Commons Namensnennung – Weitergabe unter gleichen Bedingungen 4.0', 'cc-by-sa-de/3.0': 'Creative Commons Namensnennung – Weitergabe unter gleichen Bedingungen 3.0 Deutschland',
  'cc-by-nc': 'Creative Commons Namensnennung – nicht kommerziell (CC BY-NC)', 'cc-by-nc/4.0': 'Creative Commons Namensnennung – nicht kommerziell 4.0',
  'cc-by-nc-de/3.0': 'Creative Commons Namensnennung – nicht kommerziell 3.0 Deutschland', 'cc-by-nd': 'Creative Commons Namensnennung – keine Bearbeitung (CC BY-ND)',
  'cc-by-nd/4.0': 'Creative Commons Namensnennung – keine Bearbeitung 4.0', 'cc-by-nc-nd/3.0': 'Creative Commons Namensnennung – nicht kommerziell – keine Bearbeitung 3.0',
  'cc-by-nc-nd/4.0': 'Creative Commons Namensnennung – nicht kommerziell – keine Bearbeitung 4.0',
  'geoNutz/20130319': 'Nutzungsbestimmungen für Geodaten des Bundes (2013-03-19)', 'geonutz/20131001': 'Nutzungsbestimmungen für Geodaten des Bundes (2013-10-01)',
  odbl: 'Open Data Commons Open Database License (ODbL)', odby: 'Open Data Commons Attribution License', odcpddl: 'Open Data Commons Public Domain Dedication and Licence',
  officialWork: 'Amtliches Werk, lizenzfrei nach § 5 UrhG', apache: 'Apache-Lizenz', bsd: 'BSD-Lizenz', gfdl: 'GNU Free Documentation License',
  'gpl/3.0': 'GNU General Public License 3.0', mozilla: 'Mozilla Public License', 'other-closed': 'Andere geschlossene Lizenz',
  'other-commercial': 'Andere kommerzielle Lizenz', 'other-freeware': 'Andere Freeware-Lizenz', 'other-open': 'Andere offene Lizenz',
  'other-opensource': 'Andere Open-Source-Lizenz', 'geoNutz/20131001': 'Nutzungsbestimmungen für Geodaten des Bundes (2013-10-01)',
  'geonutz/20130319': 'Nutzungsbestimmungen für Geodaten des Bundes (2013-03-19)', 'cc-by-nd/3.0': 'Creative Commons Namensnennung – keine Bearbeitung 3.0',
  'ccpdm/1.0': 'Creative Commons Public Domain Mark 1.0'
}
