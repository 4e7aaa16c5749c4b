import type { FileJson, SnapshotJson } from '../../delta/snapshot-json';
import { computeLag, isDrift, verdict } from '../../parity/compare';
import { diffSnapshots } from '../../parity/diff-engine';

const file = (path: string, size: number, extra: Partial<FileJson> = {}): FileJson => ({
  path,
  size,
  modificationTime: 1000,
  partitionValues: {},
  deletionVector: null,
  stats: '{"numRecords":1}',
  ...extra,
});

const dv = (p: string, offset: number | null = 1) => ({
  storageType: 'u',
  pathOrInlineDv: p,
  offset,
  sizeInBytes: 36,
  cardinality: 2,
});

function snap(files: FileJson[], patch: Partial<SnapshotJson> = {}): SnapshotJson {
  return {
    version: 3,
    timestamp: 5000,
    protocol: {
      minReaderVersion: 3,
      minWriterVersion: 7,
      readerFeatures: ['deletionVectors'],
      writerFeatures: ['deletionVectors'],
    },
    metadata: {
      id: 'tbl',
      name: null,
      description: null,
      format: { provider: 'parquet', options: {} },
      schemaString: '{"type":"struct","fields":[]}',
      partitionColumns: [],
      configuration: { 'delta.enableDeletionVectors': 'true' },
      createdTime: 1,
    },
    numFiles: files.length,
    sizeBytes: files.reduce((s, f) => s + f.size, 0),
    files,
    txns: { app: 1 },
    domainMetadata: { d: '{}' },
    ...patch,
  };
}

const base = [
  file('a.parquet', 10),
  file('b.parquet', 20, { deletionVector: dv('x') }),
  file('c.parquet', 30),
];
const failed = (r: ReturnType<typeof diffSnapshots>) =>
  r.checks.filter((c) => c.ok === false).map((c) => c.name);

describe('diffSnapshots', () => {
  test('identical snapshots are in parity, regardless of file order', () => {
    const r = diffSnapshots(snap(base), snap([...base].reverse()));
    expect(r.ok).toBe(true);
    expect(r.driftFiles).toBe(0);
    expect(failed(r)).toEqual([]);
    expect(r.checks.map((c) => c.name)).toEqual([
      'version',
      'numFiles',
      'sizeBytes',
      'files',
      'schema',
      'partitionColumns',
      'configuration',
      'metadata',
      'protocol',
      'txns',
      'domainMetadata',
    ]);
  });

  test('missing, extra and changed files are named and counted', () => {
    const cat = [
      file('a.parquet', 11),
      file('c.parquet', 30, { partitionValues: { p: '1' } }),
      file('z.parquet', 5),
    ];
    const r = diffSnapshots(snap(base), snap(cat));
    expect(r.files!.missingInCatalog.listed).toEqual([
      { path: 'b.parquet', deletionVectorId: 'ux@1', size: 20 },
    ]);
    expect(r.files!.extraInCatalog.listed).toEqual([{ path: 'z.parquet', deletionVectorId: null, size: 5 }]);
    expect(r.files!.changed.listed.map((c) => [c.path, c.fields.map((f) => f.field)])).toEqual([
      ['a.parquet', ['size']],
      ['c.parquet', ['partitionValues']],
    ]);
    expect(r.driftFiles).toBe(4);
    expect(failed(r)).toEqual(['sizeBytes', 'files']);
    expect(r.metadataDrift).toBe(false);
  });

  test('file identity includes the DV id: same path with another DV is missing + extra', () => {
    const cat = [base[0], file('b.parquet', 20, { deletionVector: dv('y') }), base[2]];
    const r = diffSnapshots(snap(base), snap(cat));
    expect(r.files!.missingInCatalog.listed.map((f) => f.deletionVectorId)).toEqual(['ux@1']);
    expect(r.files!.extraInCatalog.listed.map((f) => f.deletionVectorId)).toEqual(['uy@1']);
    expect(r.driftFiles).toBe(2);
    // numFiles and sizeBytes agree, yet the file check fails.
    expect(failed(r)).toEqual(['files']);
  });

  test('DV offset absent vs present differs; stats and modificationTime changes are reported', () => {
    const cat = [
      file('a.parquet', 10, { stats: '{"numRecords":2}', modificationTime: 7 }),
      file('b.parquet', 20, { deletionVector: dv('x', null) }),
      base[2],
    ];
    const r = diffSnapshots(snap(base), snap(cat));
    expect(r.files!.changed.listed[0].fields.map((f) => f.field)).toEqual(['modificationTime', 'stats']);
    expect(r.files!.missingInCatalog.count).toBe(1);
    expect(r.files!.extraInCatalog.listed[0].deletionVectorId).toBe('ux');
    const lenient = diffSnapshots(snap(base), snap([cat[0], base[1], base[2]]), {
      compareStats: false,
      compareModificationTime: false,
    });
    expect(lenient.ok).toBe(true);
  });

  test('a catalog duplicate of a file counts as extra', () => {
    const r = diffSnapshots(snap(base), snap([...base, base[0]]));
    expect(r.files!.extraInCatalog.listed).toEqual([{ path: 'a.parquet', deletionVectorId: null, size: 10 }]);
    expect(r.driftFiles).toBe(1);
  });

  test('listing is capped but every file is counted', () => {
    const many = Array.from({ length: 250 }, (_, i) => file(`f${String(i).padStart(4, '0')}.parquet`, 1));
    const r = diffSnapshots(snap(many), snap([]), { maxListedFiles: 7 });
    expect(r.files!.missingInCatalog.count).toBe(250);
    expect(r.files!.missingInCatalog.listed.map((f) => f.path)).toEqual(many.slice(0, 7).map((f) => f.path));
    expect(r.driftFiles).toBe(250);
  });

  test('schema, partition columns, configuration, metadata, protocol, txns and domains each detected', () => {
    const s = snap(base);
    const cases: [Partial<SnapshotJson>, string][] = [
      [{ metadata: { ...s.metadata, schemaString: '{}' } }, 'schema'],
      [{ metadata: { ...s.metadata, partitionColumns: ['p'] } }, 'partitionColumns'],
      [
        { metadata: { ...s.metadata, configuration: { 'delta.enableDeletionVectors': 'false' } } },
        'configuration',
      ],
      [{ metadata: { ...s.metadata, id: 'other' } }, 'metadata'],
      [{ protocol: { ...s.protocol, writerFeatures: ['deletionVectors', 'rowTracking'] } }, 'protocol'],
      [{ txns: { app: 2 } }, 'txns'],
      [{ domainMetadata: {} }, 'domainMetadata'],
      [{ version: 4 }, 'version'],
    ];
    for (const [patch, name] of cases) {
      const r = diffSnapshots(s, snap(base, patch));
      expect(failed(r)).toEqual([name]);
      expect(r.driftFiles).toBe(0);
      expect(isDrift(r, 100)).toBe(true);
      expect(r.protocolDrift).toBe(name === 'protocol');
      expect(r.metadataDrift).toBe(name !== 'protocol');
    }
    const conf = diffSnapshots(s, snap(base, { metadata: { ...s.metadata, configuration: { x: '1' } } }));
    expect(conf.checks.find((c) => c.name === 'configuration')!.detail).toContain(
      'delta.enableDeletionVectors, x',
    );
  });

  test('without files on one side the file set check is skipped and counts stand in', () => {
    const { files: _f, ...noFiles } = snap(base);
    const r = diffSnapshots(snap(base), { ...noFiles, numFiles: 2 });
    expect(r.files).toBeNull();
    expect(r.checks.find((c) => c.name === 'files')!.ok).toBeNull();
    expect(r.driftFiles).toBe(1);
  });
});

describe('lag and verdict', () => {
  test('caught up: lag 0 whatever the threshold', () => {
    const lag = computeLag({ version: 5, timestamp: 9000 }, { version: 5, timestamp: 1000 }, 0);
    expect(lag).toMatchObject({ lagSeconds: 0, versionDelta: 0, breached: false });
  });
  test('behind: lag is the timestamp gap; breached at >= threshold', () => {
    const src = { version: 7, timestamp: 20_000 };
    const cat = { version: 5, timestamp: 12_500 };
    expect(computeLag(src, cat, 10)).toMatchObject({ lagSeconds: 7.5, versionDelta: 2, breached: false });
    expect(computeLag(src, cat, 7.5).breached).toBe(true);
    expect(computeLag(src, cat, undefined).breached).toBe(false);
    // Equal timestamps but behind: threshold 0 still breaches.
    expect(computeLag({ version: 7, timestamp: 1 }, { version: 5, timestamp: 1 }, 0).breached).toBe(true);
    // Never negative.
    expect(computeLag({ version: 7, timestamp: 1 }, { version: 5, timestamp: 9 }, 5).lagSeconds).toBe(0);
  });
  test('exit codes: drift 2 beats lag 3; parity 0; catalog ahead is drift', () => {
    const behind = computeLag({ version: 7, timestamp: 9000 }, { version: 5, timestamp: 1000 }, 1);
    const ok = computeLag({ version: 5, timestamp: 9000 }, { version: 5, timestamp: 9000 }, 1);
    const ahead = computeLag({ version: 4, timestamp: 9000 }, { version: 5, timestamp: 9000 }, 1);
    expect(verdict(true, behind).exitCode).toBe(2);
    expect(verdict(false, behind)).toEqual({ status: 'lag', exitCode: 3 });
    expect(verdict(false, ok)).toEqual({ status: 'parity', exitCode: 0 });
    expect(verdict(false, ahead).exitCode).toBe(2);
  });
  test('max-drift-files tolerates file drift only', () => {
    const r = diffSnapshots(snap(base), snap(base.slice(1)));
    expect(isDrift(r, 0)).toBe(true);
    expect(isDrift(r, 1)).toBe(false);
  });
});
