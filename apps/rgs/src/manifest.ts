import { defineProcess, type ProcessManifest } from '@rgb/kit';

/** The remote gaming server: not a domain; a client of the router (it pays through its provider callbacks). */
export const rgsProcess: ProcessManifest = defineProcess({
  name: 'rgs',
  kind: 'service',
  port: 8090,
  entry: 'apps/rgs/src/main.ts',
  start: async (env) => {
    const { loadRgsConfig, start } = await import('./index');
    return start(loadRgsConfig(env));
  },
});
