import { METRICS_PORT_OFFSET } from '@rgb/kit';
import { expect, it } from 'vitest';
import { DEFAULT_PORTS, SERVICES } from '../src/services';

it('gives every listener of the platform a port of its own', () => {
  const ports = Object.values(DEFAULT_PORTS);
  expect(new Set(ports).size).toBe(ports.length);
  expect(Object.keys(DEFAULT_PORTS)).toEqual(expect.arrayContaining(['router', 'router.metrics', 'wallet_worker.metrics', 'game.callback']));
});

it('runs each process on the metrics port it would choose by itself (its PORT + the offset of its kind)', () => {
  for (const spec of SERVICES) {
    const offset = METRICS_PORT_OFFSET[spec.kind === 'worker' ? 'worker' : 'api'];
    expect({ name: spec.name, metricsPort: spec.metricsPort }).toEqual({ name: spec.name, metricsPort: spec.port + offset });
  }
});
