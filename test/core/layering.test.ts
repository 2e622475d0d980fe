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
  type Message = { ruleId: string | null; line: number; message: string }
  /**
   * The real configuration (eslint.config.mjs), through ESLint's Node API in ONE child process for every fixture: jest
   * cannot load an ESM config in-process, and one CLI process per fixture cost a config load (and seconds) each.
   */
  const lintAll = (fixtures: Array<{ lines: string[]; file: string }>) =>
    new Promise<Message[][]>((resolve, reject) => {
      const script = [
        "import { ESLint } from 'eslint'",
        "let input = ''",
        "for await (const chunk of process.stdin) input += chunk",
        'const eslint = new ESLint()',
        'const out = []',
        'for (const { code, file } of JSON.parse(input)) out.push((await eslint.lintText(code, { filePath: file }))[0].messages)',
        'process.stdout.write(JSON.stringify(out))',
      ].join('\n')
      const child = execFile(process.execPath, ['--input-type=module', '-e', script], { cwd: root }, (error, stdout) => {
        try {
          const results = JSON.parse(stdout) as Message[][]
          resolve(results.map((messages) => messages.filter((m) => m.ruleId === 'no-restricted-imports')))
        } catch {
          reject(error ?? new Error(`eslint answered: ${stdout}`))
        }
      })
      child.stdin!.end(JSON.stringify(fixtures.map(({ lines, file }) => ({ code: `${lines.join('\n')}\nexport const y = 1\n`, file: path.join(root, file) }))))
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
    const [core, iface, root_, neutral] = await lintAll([
      { lines: forms, file: 'src/core/example.ts' },
      { lines: [forms[0]!], file: 'src/interface/example.ts' },
      { lines: ["import { providers } from './providers'"], file: 'src/runtime.ts' },
      { lines: ["import { resolveProvider } from './provider'", "import { x } from './providerish'"], file: 'src/core/example.ts' },
    ])
    expect([core, iface, root_, neutral].every(Array.isArray)).toBe(true)
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
