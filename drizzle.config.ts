import { defineConfig } from 'drizzle-kit'

// Each module owns its tables (`<module>.tables.ts`); the platform owns `config_version` and `change_log`.
// `npm run db:generate` diffs all of them against drizzle/meta and writes the next migration.
export default defineConfig({
  dialect: 'postgresql',
  schema: [
    './src/modules/*/*.tables.ts',
    './src/platform/db/config-version.ts',
    './src/platform/changelog/changelog.tables.ts',
  ],
  out: './drizzle',
})
