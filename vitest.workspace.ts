/**
 * The one list of test projects: each package's own vitest.config.ts.
 * vitest.config.ts hands it to `test.projects` (vitest 3.2 no longer reads this file by itself).
 */
export default ["packages/*/vitest.config.ts"]
