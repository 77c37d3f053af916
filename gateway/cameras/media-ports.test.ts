import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.ts';
import { gatewayServicePorts, mediaPortPolicy, mediaPortRules } from './media-ports.ts';

const config = (overrides: Record<string, unknown> = {}) => loadConfig({ file: null, env: {}, overrides: { profile: 'test', ...overrides } });

describe('gatewayServicePorts', () => {
  it('HTTP, the embedded database and every media worker port', () => {
    expect(gatewayServicePorts(config({ media: { workers: 2 } }))).toEqual([8080, 18950, 18951, 19350, 19351, 54329]);
  });

  it('an external database contributes its own port instead of the embedded one', () => {
    expect(gatewayServicePorts(config({ database: { url: 'postgres://u@db.example:6543/x' } }))).toEqual([6543, 8080, 18950, 19350]);
    expect(gatewayServicePorts(config({ database: { url: 'postgres://u@db.example/x' } }))).toContain(5432);
  });
});

describe('mediaPortRules', () => {
  const policy = mediaPortPolicy(config({ cameras: { mediaPorts: [554, 8554], snapshotPorts: [8081] } }));

  it('configured ports plus the camera\'s own; snapshots also on its ONVIF port, 80 and 443', () => {
    expect(mediaPortRules(policy, { onvifPort: 8000, mediaPorts: [10554, 554] })).toEqual({
      stream: [554, 8554, 10554],
      snapshot: [80, 443, 554, 8000, 8081, 10554],
      forbidden: [8080, 18950, 19350, 54329],
    });
  });

  it('a camera without ports of its own gets the configured ones', () => {
    expect(mediaPortRules(policy, { onvifPort: 80, mediaPorts: null }).stream).toEqual([554, 8554]);
  });
});
