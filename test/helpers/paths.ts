import { resolve } from 'node:path'
import { PACKAGE_ROOT } from '../../src/package-info.js'

/**
 * A file of the repository (docs, config, test fixtures that are not TypeScript), found the same way
 * whether the test runs from the sources (tsx) or compiled under dist/ (npm test), which holds only JS.
 */
export function repoFile(relative: string): string {
  return resolve(PACKAGE_ROOT, relative)
}
