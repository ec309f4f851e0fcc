#!/usr/bin/env node
// Runs the compiled JavaScript (node/dist, built by `npm install` or `npm run build`):
// TypeScript through tsx at run time cost 50–75 MB and a thread.
await import('@swf/node/cli')
