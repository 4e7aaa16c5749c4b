/**
 * hyparquet's page decoder and Dremel assembly, which its public API only runs over a whole column
 * chunk. The streaming checkpoint reader drives them page by page. They are reached through the
 * package's `./src/*.js` export; types come from its shipped declarations, so a signature change in
 * a hyparquet upgrade fails the type check rather than at run time.
 */
import type * as AssembleModule from 'hyparquet/types/assemble';
import type * as ColumnModule from 'hyparquet/types/column';
import type * as ConvertModule from 'hyparquet/types/convert';
import type * as DataPageModule from 'hyparquet/types/datapage';
import type * as SchemaModule from 'hyparquet/types/schema';

/* eslint-disable @typescript-eslint/no-require-imports */
const column = require('hyparquet/src/column.js') as typeof ColumnModule;
const assemble = require('hyparquet/src/assemble.js') as typeof AssembleModule;
const convertMod = require('hyparquet/src/convert.js') as typeof ConvertModule;
const dataPage = require('hyparquet/src/datapage.js') as typeof DataPageModule;
const schema = require('hyparquet/src/schema.js') as typeof SchemaModule;
/* eslint-enable @typescript-eslint/no-require-imports */

export const { parquetHeader, readPage } = column;
export const { assembleLists, assembleNested } = assemble;
export const { convert, convertWithDictionary, DEFAULT_PARSERS } = convertMod;
export const { decompressPage, readDataPage, readDataPageV2 } = dataPage;
export const {
  getTreePath,
  getMaxDefinitionLevel,
  getMaxRepetitionLevel,
  isFlatColumn,
  isListLike,
  isMapLike,
} = schema;
export type ColumnDecoder = Parameters<typeof readPage>[2];
