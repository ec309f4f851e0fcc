#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx, so there is no build step.
// The project's tsconfig is named explicitly: tsx would otherwise look in the
// working directory, and a node is usually started from somewhere else.
import { fileURLToPath } from 'node:url'
import { register } from 'tsx/esm/api'

register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) })
await import('@swf/registry/cli')
