/**
 * Secrets, per provider: every scenario (register, createUser with an e-mail, startHitl, each message type, valid and
 * forged webhooks, a provider failure, stopHitl) runs with known secret values; none of them, and not the end user's
 * e-mail, may appear in any log line or in any error message the bot receives.
 */
import { http, HttpResponse } from 'msw'
import type { SetupServer } from 'msw/node'
import { useFakeRig } from '../support/rig'
import { capturedLogs, clearLogs } from '../support/logs'
import type { FakeProvider } from '../conformance/fake'
import { providers } from '../../src/providers'
import { eachProvider } from './fakes'
import { record } from './results'

const EMAIL = 'secret.person@example.org'
const alice = { id: 'agent-alice', name: 'Alice' }

eachProvider('secrets: %s', (name, make) => {
  const fake: FakeProvider = make()
  const rig = useFakeRig(fake)

  it('no configured secret and no end-user e-mail in any log line or error message', async () => {
    clearLogs()
    const errors: string[] = []
    const attempt = async (what: Promise<unknown>) => {
      try {
        await what
      } catch (error) {
        errors.push(String((error as Error).message))
      }
    }
    const config = fake.configuration()
    const section = config[name] as Record<string, unknown>
    const secrets = (providers as Record<string, any>)[name].secrets(section).filter((s: unknown): s is string => typeof s === 'string' && s.length >= 4)
    expect(secrets.length).toBeGreaterThan(0)

    await attempt(rig.driver.register())
    const { userId } = await rig.driver.callAction('createUser', { name: 'Secret Person', email: EMAIL })
    const { conversationId } = await rig.driver.callAction('startHitl', { userId, title: 'Help', messageHistory: [] })
    const sessionId = rig.conversation(conversationId).tags.externalId as string
    for (const [type, payload] of [
      ['text', { text: `my address is ${EMAIL}` }],
      ['image', { imageUrl: 'https://example.com/i.png' }],
      ['file', { fileUrl: 'https://example.com/f.pdf', title: 'f.pdf' }],
    ] as const) {
      await attempt(rig.driver.sendMessage({ conversationId, type, payload: { ...payload, userId } }))
    }
    await rig.webhook(await fake.agentMessage(sessionId, alice, { type: 'text', text: 'hello' }))
    await rig.webhook(fake.forged(await fake.agentMessage(sessionId, alice, { type: 'text', text: 'forged' })))
    await rig.webhook(fake.unsigned(await fake.agentAssigned(sessionId, alice)))
    await rig.webhook(await fake.agentAssigned(sessionId, alice))

    // A provider failure whose answer echoes every secret back.
    const server = (fake as unknown as { server?: SetupServer }).server
    const port = new URL(rig.emulator.url).port
    if (server) {
      let once = true
      server.use(
        http.all('*', ({ request }) => {
          if (new URL(request.url).port === port || !once) return undefined
          once = false
          return HttpResponse.json({ error: `denied for ${secrets.join(' ')} ${EMAIL}`, message: secrets.join(' ') }, { status: 400 })
        })
      )
    }
    await attempt(rig.driver.sendMessage({ conversationId, type: 'text', payload: { text: 'after failure', userId } }))
    await attempt(rig.driver.callAction('stopHitl', { conversationId }))
    rig.driver.setConfiguration({ ...config, [name]: { ...section, [Object.keys(section)[0]!]: '' } })
    await attempt(rig.driver.register())
    rig.driver.setConfiguration(config)

    const everything = [...capturedLogs(), ...errors].join('\n')
    for (const secret of secrets) expect(everything).not.toContain(secret)
    expect(everything).not.toContain(EMAIL)
    record(name, 'secrets', 'log lines and errors checked', `${capturedLogs().length + errors.length}, 0 leaks of ${secrets.length} secrets or the e-mail`)
  }, 60_000)
})
