import { defineConfig } from 'drizzle-kit'

export default defineConfig({
  dialect: 'sqlite',
  schema: './registry/src/db/schema.ts',
  out: './registry/drizzle'
})
