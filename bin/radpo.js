#!/usr/bin/env node
// Entry point of the `radpo` command: runs the compiled CLI (built by `npm run build`, or by `npm ci` via `prepare`).
import { main } from '../dist/cli/main.js';
main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
