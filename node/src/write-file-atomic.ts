import { rename, writeFile } from 'node:fs/promises'

/** Writes a small file via `<file>.tmp` and a rename, so readers see the old or the new content, never half. */
export async function writeFileAtomic(file: string, text: string, mode?: number): Promise<void> {
  await writeFile(`${file}.tmp`, text, mode === undefined ? {} : { mode })
  await rename(`${file}.tmp`, file)
}
