/**
 * Module boundaries, checked by `npm run lint:boundaries` (part of `npm test`).
 * The rules and the diagram they enforce: docs/ARCHITECTURE.md.
 */

/** Files of src/ the web app (web/src) may import: import-free or importing only each other and zod. */
const WEB_SHARED = [
  '^src/modules/analytics/live[.]types[.]ts$',
  '^src/modules/analytics/metrics[.]ts$',
  '^src/modules/analytics/report-sql[.]ts$',
  '^src/modules/analytics/range[.]ts$',
  '^src/modules/conversions/conversions[.]core[.]ts$',
  '^src/modules/conversions/conversions[.]schema[.]ts$',
  '^src/modules/conversions/postback[.]parse[.]ts$',
  // The outreach template rules (import-free): the campaign form checks merge fields with them.
  '^src/modules/outreach/outreach[.]template[.]core[.]ts$',
  '^src/modules/routing/core/macros[.]ts$',
  '^src/modules/routing/routing[.]schema[.]ts$',
  // The source template catalogue and link builder (zod only): the source form and campaign link card.
  '^src/modules/routing/source[.]templates[.]ts$',
  // The visitor settings rules (zod + parse-duration): the project form validates with them.
  '^src/modules/visitors/visitors[.]settings[.]ts$',
  '^src/platform/net/url[.]schema[.]ts$',
]

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'platform-imports-no-module',
      comment: 'src/platform is the ground the modules stand on: it never imports a module.',
      severity: 'error',
      from: { path: '^src/platform/' },
      to: { path: '^src/modules/' },
    },
    {
      name: 'module-through-index',
      comment: "A module imports another module only through that module's index.ts.",
      severity: 'error',
      from: { path: '^src/modules/([^/]+)/' },
      to: { path: '^src/modules/[^/]+/', pathNot: ['^src/modules/$1/', '^src/modules/[^/]+/index[.]ts$'] },
    },
    {
      name: 'composition-through-index',
      comment: 'The composition root (src/*.ts, src/simulators) uses a module only through its index.ts.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/modules/' },
      to: { path: '^src/modules/[^/]+/', pathNot: '^src/modules/[^/]+/index[.]ts$' },
    },
    {
      name: 'no-cycles',
      comment: 'No import cycles in the server code (type-only imports included).',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'web-imports-only-shared-files',
      comment: 'The web app imports from src/ only the shared, import-free files listed in WEB_SHARED.',
      severity: 'error',
      from: { path: '^web/src/' },
      to: { path: '^src/', pathNot: WEB_SHARED },
    },
    {
      name: 'web-shared-files-stay-import-free',
      comment: 'A file the web app imports may import only other shared files and zod.',
      severity: 'error',
      from: { path: WEB_SHARED },
      to: { pathNot: [...WEB_SHARED, '^node_modules/zod/'] },
    },
  ],
  options: {
    includeOnly: '^(src|web/src)/',
    exclude: { path: '[.]test[.]tsx?$|/test-fixtures[.]ts$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.tsx', '.js', '.mjs'] },
  },
}
