/**
 * Layering (issue 11): the core sits below the providers. The lint rule refuses every form of importing providers (or
 * their registry) from src/core, and no module under src/core does so today.
 */
import fs from 'node:fs'
import path from 'node:path'
import { execFile } from 'node:child_process'

const root = path.join(__dirname, '..', '..')

const importsOf = (source: string) => {
  const found: string[] = []
  for (const match of source.matchAll(/(?:from|import|require\()\s*['"]([^'"]+)['"]/g)) found.push(match[1]!)
  return found
}

describe('layering: src/core knows no provider', () => {
  // The real configuration, through the CLI (jest cannot load an ESM eslint.config.mjs in-process).
  const lintLines = (lines: string[], file: string) =>
    new Promise<Array<{ ruleId: string | null; line: number; message: string }>>((resolve, reject) => {
      const bin = path.join(root, 'node_modules', 'eslint', 'bin', 'eslint.js')
      const child = execFile(process.execPath, [bin, '--format', 'json', '--stdin', '--stdin-filename', file], { cwd: root }, (error, stdout) => {
        try {
          const [result] = JSON.parse(stdout) as Array<{ messages: Array<{ ruleId: string | null; line: number; message: string }> }>
          resolve(result!.messages.filter((m) => m.ruleId === 'no-restricted-imports'))
        } catch {
          reject(error ?? new Error(`eslint answered: ${stdout}`))
        }
      })
      child.stdin!.end(`${lines.join('\n')}\nexport const y = 1\n`)
    })

  const forms = [
    "import { providers } from '../providers'",
    "import http from '../providers/http'",
    "import { x } from '../providers/http/signature'",
    "import { providers as p } from '../../src/providers'",
    "import { providers as q } from '../../src/providers/index'",
    "import type { HubspotConfig } from 'src/providers/hubspot/config'",
    "export { providers as r } from '../providers'",
    "import type { ProviderName } from '../providers'",
  ]

  it('the lint rule refuses every form of importing providers from src/core, in src/interface too, and nothing else', async () => {
    const [core, iface, root_, neutral] = await Promise.all([
      lintLines(forms, 'src/core/example.ts'),
      lintLines([forms[0]!], 'src/interface/example.ts'),
      lintLines(["import { providers } from './providers'"], 'src/runtime.ts'),
      lintLines(["import { resolveProvider } from './provider'", "import { x } from './providerish'"], 'src/core/example.ts'),
    ])
    expect(core.map((m) => m.line)).toEqual(forms.map((_, i) => i + 1))
    for (const m of core) expect(m.message).toMatch(/must not import providers/)
    expect(iface).toHaveLength(1)
    // The composition root may import the registry; neutral names are not providers.
    expect(root_).toEqual([])
    expect(neutral).toEqual([])
  }, 60_000)

  it('no module under src/core imports anything under src/providers', () => {
    const dir = path.join(root, 'src', 'core')
    const offenders = fs
      .readdirSync(dir, { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.ts'))
      .flatMap((f) =>
        importsOf(fs.readFileSync(path.join(dir, f), 'utf8'))
          .filter((spec) => spec.startsWith('.') && path.resolve(dir, path.dirname(f), spec).startsWith(path.join(root, 'src', 'providers')))
          .map((spec) => `${f}: ${spec}`)
      )
    expect(offenders).toEqual([])
  })
})
