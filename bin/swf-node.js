#!/usr/bin/env -S node --max-semi-space-size=4
// Runs the compiled JavaScript (node/dist, built by `npm install` or `npm run build`):
// TypeScript through tsx at run time cost 50–75 MB and a thread.
await import('@swf/node/cli')
