import { defineConfig } from 'prisma/config';

// The CLI (generate) reads this; migrations go through @rgb/db's WebAssembly engine. It lives
// beside the package that depends on prisma, so `prisma/config` resolves however npm lays out node_modules.
export default defineConfig({
  schema: '../../prisma/schema',
  migrations: { path: '../../prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://postgres:postgres@127.0.0.1:5432/rgb' },
});
