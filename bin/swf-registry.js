#!/usr/bin/env node
// Runs the compiled JavaScript (registry/dist, built by `npm install` or `npm run build`).
await import('@swf/registry/cli')
