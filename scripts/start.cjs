// Runs the dev runner built by scripts/build.mjs (.botpress/dev/start.cjs), passing the arguments through.
require('../.botpress/dev/start.cjs')
