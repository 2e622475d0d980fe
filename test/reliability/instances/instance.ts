/**
 * One instance of the integration for test/reliability/instances.test.ts, in its own process: the built bundle
 * (.botpress/dist/index.cjs, argv[2]) served on loopback by dev/serve.ts, talking to the Botpress stand-in named by
 * BP_API_URL/BP_TOKEN. The providers' test doubles answer inside the test process (msw), so every request this process
 * sends off loopback is relayed there (HITL_TEST_RELAY) and answered by the same double both instances share; loopback
 * requests (Botpress, the http provider's agent desk) go out as they are. Prints `port <n>` once it listens.
 */
import { createRequire } from 'node:module'
import { http, HttpResponse, passthrough } from 'msw'
import { setupServer } from 'msw/node'
import { serveOnLoopback } from '../../../dev/serve'

const [bundlePath] = process.argv.slice(2)
const relay = process.env.HITL_TEST_RELAY
if (!bundlePath || !relay) throw new Error('usage: HITL_TEST_RELAY=<url> node instance.cjs <bundle>')

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1'])
/** Hop-by-hop and framing headers neither side may copy. */
const HOP = new Set(['host', 'connection', 'keep-alive', 'content-length', 'transfer-encoding', 'content-encoding'])

type Relayed = { status: number; headers: Array<[string, string]>; body: string }

const mocks = setupServer(
  http.all('*', async ({ request }) => {
    if (LOOPBACK.has(new URL(request.url).hostname)) return passthrough()
    const body = request.method === 'GET' || request.method === 'HEAD' ? undefined : Buffer.from(await request.arrayBuffer()).toString('base64')
    const headers: Array<[string, string]> = []
    request.headers.forEach((value, key) => {
      if (!HOP.has(key)) headers.push([key, value])
    })
    const answer = await fetch(relay, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: request.url, method: request.method, headers, body }),
    })
    const relayed = (await answer.json()) as Relayed
    return new HttpResponse(relayed.status === 204 || relayed.status === 304 ? null : Buffer.from(relayed.body, 'base64'), {
      status: relayed.status,
      headers: relayed.headers.filter(([k]) => !HOP.has(k)),
    })
  })
)
mocks.listen({ onUnhandledRequest: 'bypass' })

const main = async () => {
  const bundle = createRequire(__filename)(bundlePath) as { default: { handler: Parameters<typeof serveOnLoopback>[0] } }
  const server = await serveOnLoopback(bundle.default.handler, 0)
  const address = server.address()
  process.stdout.write(`port ${typeof address === 'object' && address ? address.port : 0}\n`)
}

main().catch((error) => {
  process.stderr.write(`instance failed to start: ${(error as Error).stack}\n`)
  process.exit(1)
})
