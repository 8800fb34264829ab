// Runs Prisma's schema engine (migrations) as WebAssembly, since the native
// engine cannot be downloaded here. Internal to @rgb/db: use ./migrate.ts.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import { bindMigrationAwareSqlAdapterFactory, type SqlDriverAdapter } from '@prisma/driver-adapter-utils';
import * as glue from '@prisma/schema-engine-wasm/schema_engine_bg';
import type { SchemaEngine } from '@prisma/schema-engine-wasm';
import type pg from 'pg';
import { errorReportingClient, reportOnStderr } from './connection-errors';

export type { SchemaEngine };

declare global {
  // The engine reports the reason of a Rust panic here before trapping.
  var PRISMA_WASM_PANIC_REGISTRY: { set_message(message: string): void } | undefined;
}

// The ES2023 lib has no WebAssembly declarations; this is the little used here.
const wasmApi = (globalThis as unknown as {
  WebAssembly: {
    Module: new (bytes: Uint8Array) => object;
    Instance: new (module: object, imports: Record<string, object>) => { exports: Record<string, unknown> };
    RuntimeError: new () => Error;
  };
}).WebAssembly;

let lastPanic = '';
let loaded = false;

/**
 * Instantiates the engine's .wasm ourselves and hands it to the wasm-bindgen glue,
 * as the package's entry point would through `import * as wasm from "./x.wasm"`, so that
 * the glue's imports can be adjusted first (the timers below).
 */
function loadWasm(): void {
  if (loaded) return;
  globalThis.PRISMA_WASM_PANIC_REGISTRY ??= { set_message: (message) => (lastPanic = message) };
  // The package's exports map hides the .wasm, so locate it next to its entry point.
  const entry = createRequire(import.meta.url).resolve('@prisma/schema-engine-wasm');
  const module = new wasmApi.Module(readFileSync(path.join(path.dirname(entry), 'schema_engine_bg.wasm')));
  const imports: Record<string, unknown> = { ...glue };
  // The engine arms a 10 s timer (its advisory-lock timeout) and never clears it,
  // which kept every script alive for 10 s after its work; unref its timers.
  for (const key of Object.keys(imports).filter((k) => k.startsWith('__wbg_setTimeout_'))) {
    imports[key] = (callback: () => void, ms: number) => setTimeout(callback, ms >>> 0).unref();
  }
  const instance = new wasmApi.Instance(module, { './schema_engine_bg.js': imports });
  (glue as unknown as { __wbg_set_wasm(exports: object): void }).__wbg_set_wasm(instance.exports);
  (instance.exports.__wbindgen_start as () => void)();
  loaded = true;
}

/**
 * The schema engine reads pg_catalog columns of Postgres' internal one-byte
 * `"char"` type (OID 18), which @prisma/adapter-pg 7.10 cannot map
 * ("Column type 'char' could not be deserialized"); present them as text (OID 25).
 * pg returns "char" values as strings already, so only the reported type changes.
 */
class CatalogCharAsTextClient extends errorReportingClient(reportOnStderr('schema-engine')) {
  override query(...args: any[]): any {
    const callback = typeof args.at(-1) === 'function' ? args.pop() : undefined;
    const result = (super.query as (...a: unknown[]) => Promise<pg.QueryResult>)(...args).then((res) => {
      for (const field of res.fields ?? []) if (field.dataTypeID === 18) field.dataTypeID = 25;
      return res;
    });
    if (!callback) return result;
    result.then((res) => callback(null, res), (err) => callback(err));
  }
}

function pgAdapter(url: string): PrismaPg {
  return new PrismaPg({ connectionString: url, Client: CatalogCharAsTextClient } as pg.PoolConfig);
}

export interface EngineOptions {
  databaseUrl: string;
  /** An existing empty database the engine may use as its shadow database. */
  shadowDatabaseUrl?: string;
  /** Prisma schema files as [path, content]; gives the engine the datasource's schemas. */
  datamodels?: [string, string][];
}

/** Runs `fn` with a schema engine connected to `databaseUrl`, then frees it and closes every pool it opened. */
export async function withSchemaEngine<T>(options: EngineOptions, fn: (engine: SchemaEngine) => Promise<T>): Promise<T> {
  loadWasm();
  // free() does not dispose the adapters the engine got, and an open pool keeps the process alive.
  const adapters: SqlDriverAdapter[] = [];
  const track = <A extends SqlDriverAdapter>(adapter: A): A => {
    const dispose = adapter.dispose.bind(adapter);
    let disposed: Promise<void> | undefined;
    adapter.dispose = () => (disposed ??= dispose()); // the engine disposes shadow adapters itself
    adapters.push(adapter);
    return adapter;
  };
  const main = pgAdapter(options.databaseUrl);
  const factory = bindMigrationAwareSqlAdapterFactory({
    provider: main.provider,
    adapterName: main.adapterName,
    connect: async () => track(await main.connect()),
    connectToShadowDb: async () => {
      if (!options.shadowDatabaseUrl) throw new Error('This operation needs a shadow database but none was given');
      return track(await pgAdapter(options.shadowDatabaseUrl).connect());
    },
  });
  let engine: SchemaEngine | undefined;
  try {
    engine = await glue.SchemaEngine.new({ datamodels: options.datamodels }, () => {}, factory);
    return await fn(engine);
  } catch (error) {
    // A trap leaves only "unreachable"; the panic message was reported just before.
    if (error instanceof wasmApi.RuntimeError && lastPanic) {
      throw new Error(`Schema engine panicked: ${lastPanic}`, { cause: error });
    }
    throw error;
  } finally {
    engine?.free();
    await Promise.all(adapters.map((adapter) => adapter.dispose()));
  }
}
