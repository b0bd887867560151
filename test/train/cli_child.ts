// Runs radpo's CLI in a child process for cli.test.ts (stdout/stderr captured there). Not a test file.
import { main } from '../../src/cli/main.js';
main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
