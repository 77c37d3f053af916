// npm run enrol -- FILE.csv [--commit] [--url URL] [--user NAME]
// Sends a village committee's CSV to a running gateway: a dry run by default, --commit to store. Password from SHOUWANG_PASSWORD.
import { readFileSync } from 'node:fs';
import path from 'node:path';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

function bar(done: number, total: number): string {
  const width = 30;
  const filled = total ? Math.round((done / total) * width) : width;
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`;
}

async function main(): Promise<number> {
  const file = process.argv.slice(2).find((a, i, all) => !a.startsWith('--') && !(all[i - 1] ?? '').match(/^--(url|user)$/));
  if (!file) {
    process.stderr.write('usage: npm run enrol -- FILE.csv [--commit] [--url http://127.0.0.1:8080] [--user lize-xijie.committee]\n');
    return 2;
  }
  const url = arg('url', process.env.SHOUWANG_URL ?? 'http://127.0.0.1:8080');
  const user = arg('user', process.env.SHOUWANG_USER ?? 'lize-xijie.committee');
  const password = process.env.SHOUWANG_PASSWORD ?? 'shouwang-demo';
  const commit = process.argv.includes('--commit');
  const csv = readFileSync(file);
  const login = await fetch(`${url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: user, password }) });
  if (login.status !== 200) {
    process.stderr.write(`login as ${user} failed: ${((await login.json()) as { error?: { message?: string } }).error?.message ?? login.status}\n`);
    return 1;
  }
  const { token } = (await login.json()) as { token: string };
  const res = await fetch(`${url}/api/v1/cameras/bulk?dryRun=${!commit}&fileName=${encodeURIComponent(path.basename(file))}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv', accept: 'application/x-ndjson' },
    body: csv,
  });
  if (!res.ok || !res.body) {
    const body = (await res.json().catch(() => ({}))) as { error?: { code: string; message: string } };
    process.stderr.write(`refused: ${body.error?.code ?? res.status}: ${body.error?.message ?? ''}\n`);
    return 1;
  }
  let buf = '';
  type Result = { counts: Record<string, number>; rows: Array<{ row: number; status: string; host: string; port: number | null; code?: string; reason?: string }> };
  const out: { result: Result | null } = { result: null };
  const decoder = new TextDecoder();
  for await (const chunk of res.body) {
    buf += decoder.decode(chunk as Uint8Array, { stream: true });
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = JSON.parse(buf.slice(0, nl)) as { type: string; done?: number; total?: number; error?: { code: string; message: string } };
      buf = buf.slice(nl + 1);
      if (line.type === 'progress') process.stderr.write(`\r${bar(line.done!, line.total!)}`);
      if (line.type === 'result') out.result = line as unknown as Result;
      if (line.type === 'error') {
        process.stderr.write(`\nfailed: ${line.error!.code}: ${line.error!.message}\n`);
        return 1;
      }
    }
  }
  process.stderr.write('\n');
  const result = out.result;
  if (!result) return 1;
  for (const r of result.rows.filter((x) => x.status === 'rejected')) {
    process.stdout.write(`row ${r.row} (${r.host}:${r.port ?? '?'}): ${r.code}: ${r.reason}\n`);
  }
  process.stdout.write(`${commit ? 'committed' : 'dry run'}: ${Object.entries(result.counts).filter(([, n]) => n).map(([k, n]) => `${n} ${k}`).join(', ')}\n`);
  if (!commit) process.stdout.write('run again with --commit to store\n');
  return 0;
}

main().then((c) => process.exit(c), (e) => {
  process.stderr.write(`enrol: ${(e as Error).message}\n`);
  process.exit(1);
});
