#!/usr/bin/env node
'use strict';
// Thin launcher: the CLI is compiled to dist/ by `npm run build` (setup does it).
require('../dist/client/cli.js').main(process.argv);
