// radpo's public API: everything the CLI does is a typed function exported from here.
// Internal helpers stay in their modules; import from 'radpo' only what is listed below.

export { VERSION } from './version.js';
export { RadpoError, type ErrorCode, type ErrorLocation } from './util/errors.js';
export { Rng } from './util/rng.js';
export { writeFileAtomic, writeJsonAtomic, writeDirAtomic, AtomicWriteStream } from './util/atomic.js';
export { Progress } from './util/progress.js';
export { parseArgv, resolveOptions, readRecipe, formatHelp, type OptionTable, type OptionSpec, type Resolved } from './util/options.js';
