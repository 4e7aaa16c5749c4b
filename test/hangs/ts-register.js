// Lets a child process run the CLI from the TypeScript sources (tests spawn it to send signals):
// `node -r ./test/hangs/ts-register.js client/cli.ts …`. Transpile only (swc), no type check.
'use strict';
const fs = require('node:fs');
const swc = require('@swc/core');

require.extensions['.ts'] = function compileTs(module, filename) {
  const { code } = swc.transformSync(fs.readFileSync(filename, 'utf8'), {
    filename,
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};
