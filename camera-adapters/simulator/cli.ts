// `npm run simulate -- --cameras 50 [--single-ip] [--discovery] [--csv out.csv]`: run virtual cameras until stopped.
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { enrolmentCsv } from './owner-data.ts';
import { loadVillage, type VillageArea } from './village-area.ts';
import { startSimulator, type Simulator } from './simulator.ts';

const USAGE = `usage: npm run simulate -- [--cameras N] [--single-ip] [--discovery] [--csv out.csv [--village CODE] [--jurisdictions FILE]]
       [--base-address 127.10.0.1] [--http-port P] [--rtsp-port P] [--username U] [--password P]
       [--name-prefix "Sim Camera "] [--no-overlay] [--bitrate KBPS (main stream, default 1024)] [--audio]`;
const TABLE_ROWS = 200;
const CLOSE_DEADLINE_MS = 10_000;

function intOption(value: string | undefined, key: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`'--${key}' must be a non-negative integer`);
  return n;
}

function printTable(sim: Simulator): void {
  const rows = sim.cameras.slice(0, TABLE_ROWS).map((c) => [c.id, c.name, `${c.host}:${c.httpPort}`, c.streamUri('main'), c.username, c.password]);
  const header = ['id', 'name', 'onvif', 'rtsp (main)', 'user', 'password'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ');
  console.log(line(header));
  for (const row of rows) console.log(line(row));
  if (sim.cameras.length > TABLE_ROWS) console.log(`… and ${sim.cameras.length - TABLE_ROWS} more (use --csv for the full list)`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      cameras: { type: 'string', default: '10' },
      'single-ip': { type: 'boolean', default: false },
      discovery: { type: 'boolean', default: false },
      csv: { type: 'string' },
      village: { type: 'string' },
      jurisdictions: { type: 'string' },
      'base-address': { type: 'string' },
      'http-port': { type: 'string' },
      'rtsp-port': { type: 'string' },
      username: { type: 'string' },
      password: { type: 'string' },
      'name-prefix': { type: 'string' },
      'no-overlay': { type: 'boolean', default: false },
      bitrate: { type: 'string' },
      audio: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  // Read the village before starting cameras, so a wrong code fails at once.
  let area: VillageArea | undefined;
  if (values.village) {
    if (!values.csv) throw new Error(`'--village' only shapes the CSV; add '--csv out.csv'`);
    area = loadVillage(values.village, values.jurisdictions ?? undefined);
  }
  const started = performance.now();
  const sim = await startSimulator({
    cameras: intOption(values.cameras, 'cameras') ?? 10,
    addressMode: values['single-ip'] ? 'single-ip' : 'per-camera-ip',
    baseAddress: values['base-address'],
    httpPort: intOption(values['http-port'], 'http-port'),
    rtspPort: intOption(values['rtsp-port'], 'rtsp-port'),
    discovery: values.discovery,
    username: values.username,
    password: values.password,
    namePrefix: values['name-prefix'],
    nameOverlay: !values['no-overlay'],
    mainBitrateKbps: intOption(values.bitrate, 'bitrate'),
    audio: values.audio,
  });
  printTable(sim);
  if (values.csv) {
    await writeFile(values.csv, enrolmentCsv(sim.cameras, area), 'utf8');
    console.log(`wrote ${sim.cameras.length} rows to ${values.csv}${area ? `, every camera inside ${area.code} ${area.name}` : ''}`);
  }
  const ms = Math.round(performance.now() - started);
  console.log(`${sim.cameras.length} cameras up in ${ms} ms${values.discovery ? ', WS-Discovery on' : ''}. Ctrl-C to stop.`);

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    const s = sim.stats();
    console.log(`\n${signal}: stopping (${s.rtspSessions} RTSP sessions open, ${s.bytesSent} bytes sent)`);
    setTimeout(() => process.exit(1), CLOSE_DEADLINE_MS).unref();
    sim.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? `${(err as { code?: string }).code ?? 'error'}: ${err.message}` : err);
  console.error(USAGE);
  process.exit(1);
});
