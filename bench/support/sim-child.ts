// A simulator in its own process, so the bench can measure the gateway and the cameras apart.
// argv: COUNT BASE_ADDRESS [MAIN_KBPS]; prints one JSON line with the cameras, exits when stdin closes.
import { startSimulator } from '../../camera-adapters/simulator/index.ts';

const count = Number(process.argv[2] ?? 100);
const base = process.argv[3] ?? '127.120.0.1';
const kbps = process.argv[4] ? Number(process.argv[4]) : undefined;
const sim = await startSimulator({ cameras: count, addressMode: 'per-camera-ip', baseAddress: base, username: 'admin', password: 'bench-1234', nameOverlay: false, ...(kbps ? { mainBitrateKbps: kbps } : {}) });
process.stdout.write(JSON.stringify({ pid: process.pid, cameras: sim.cameras.map((c) => ({ id: c.id, host: c.host, httpPort: c.httpPort, rtspPort: c.rtspPort })) }) + '\n');
const stop = () => void sim.close().then(() => process.exit(0));
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
