import { defineConfig } from 'drizzle-kit'

export default defineConfig({
  dialect: 'sqlite',
  schema: './node/src/db/schema.ts',
  out: './node/drizzle'
})
