/**
 * The webhook pipeline: verify (before anything touches Botpress) → parse → apply each event to its session, and the
 * mapping of every outcome to the answer the provider gets (401, 400, 200, 503 with Retry-After when Botpress gave one).
 *
 * Rules every provider gets from here: nothing reaches a closed session; an assignment or close older (`at`) than the
 * last one a session applied, or at that time with a proof already applied, is a replay and is ignored (order.ts);
 * messages are keyed by the provider's message id; an assignment or close is applied by one delivery across instances
 * (claim.ts); a verified request that can never be processed is a 400, never a 503.
 */
import { isApiError, type Conversation } from '@botpress/client'
import { closedTags } from './actions'
import { resolveAgent, upsertAgent } from './agents'
import { botpressRateLimit, HITL_CHANNEL } from './botpress'
import type { EngineContext } from './context'
import { BadRequestError, errorMessage, ProviderError, RetryLaterError } from './errors'
import { applyOnce } from './claim'
import { cut, LIMITS, tagValue } from './limits'
import { withKeyLock } from './lock'
import { isReplay, orderTags } from './order'
import { UNSAFE_LINK_NOTE, webUrl } from './transcript'
import type { Agent, InboundEvent, InboundMessage, ParsedWebhook, SessionKey, WebhookReply, WebhookRequest } from './types'

/** How long a session may stay `opening` while its provider id is awaited. */
const OPENING_GRACE_MS = 120_000

export const json = (status: number, body: unknown, headers: Record<string, string> = {}): WebhookReply => ({
  status,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
})

export const handleWebhook = async (ctx: EngineContext, req: WebhookRequest): Promise<WebhookReply> => {
  const { adapter, logger: log } = ctx.active
  // First, always: a refused request costs no Botpress (and no provider) request.
  let verdict
  try {
    verdict = await adapter.verifyWebhook(req)
  } catch (error) {
    // The proof could not be checked (its stored secret could not be read): nothing was applied, ask for a redelivery.
    log.warn(`webhook not verified yet (503): ${errorMessage(error)}`)
    return json(503, { error: 'temporarily unavailable, please retry' })
  }
  if (!verdict.ok) {
    log.warn(`webhook refused (401): ${verdict.reason}`)
    return json(401, { error: 'unauthorized' })
  }
  let parsed
  try {
    parsed = await adapter.parseWebhook(req)
  } catch (error) {
    if (error instanceof BadRequestError) {
      log.warn(`webhook rejected (400): ${shown(error.reason)}`)
      return json(400, { error: shown(error.reason) })
    }
    if (neverParses(error)) return poisoned(ctx, error)
    return failed(ctx, error)
  }
  for (const note of parsed.skipped ?? []) log.debug(`webhook: ignored ${note}`)
  let applied = 0
  try {
    for (const event of withProofs(parsed)) if (await apply(ctx, event)) applied++
  } catch (error) {
    return failed(ctx, error)
  }
  return parsed.reply ?? json(200, { ok: true, events: parsed.events.length, applied })
}

/**
 * A refusal reason as the provider and the logs get it: it may quote what the request carried, so it is cut to 300
 * characters and loses its control characters (no forged log lines, no megabyte echoed back).
 */
const shown = (reason: string) => cut(reason, 300).replace(/[\u0000-\u001f\u007f]/g, ' ')

/** Each event with the identity of the proof that carried it (one request's events told apart by their position). */
const withProofs = (parsed: ParsedWebhook): InboundEvent[] =>
  parsed.events.map((event, i) => {
    const proof = event.proof ?? (parsed.proof && parsed.events.length > 1 ? `${parsed.proof}#${i}` : parsed.proof)
    return proof === undefined ? event : { ...event, proof }
  })

/**
 * A verified request whose parsing failed in a way no redelivery can change: the engine's own limits were exceeded
 * (a stack or size limit: RangeError) or the body has a shape the adapter's code cannot read (TypeError,
 * SyntaxError). Answered 400 and logged once, never 503: a 503 would make the provider redeliver it forever.
 */
const neverParses = (error: unknown) => error instanceof RangeError || error instanceof TypeError || error instanceof SyntaxError

const poisoned = (ctx: EngineContext, error: unknown): WebhookReply => {
  ctx.active.logger.error(`webhook rejected (400), it cannot be processed: ${error instanceof Error ? error.name : 'error'}`)
  return json(400, { error: 'the request cannot be processed' })
}

const deferred = (ctx: EngineContext, error: Error) => {
  ctx.active.logger.info(`webhook deferred (503): ${errorMessage(error)}`)
  return json(503, { error: 'not ready yet, please retry' })
}

/** The answer for an event that could not be applied. */
const failed = (ctx: EngineContext, error: unknown): WebhookReply => {
  const log = ctx.active.logger
  if (error instanceof BadRequestError) return json(400, { error: shown(error.reason) })
  if (error instanceof RetryLaterError) return deferred(ctx, error)
  // Our own stack or size limit while applying: the same request would hit it again.
  if (error instanceof RangeError) return poisoned(ctx, error)
  const limited = !(error instanceof ProviderError) ? botpressRateLimit(error) : undefined
  if (limited) {
    // Botpress is rate limiting this bot: the provider redelivers later, when Botpress said it would take it again.
    log.warn(`webhook deferred (503): Botpress answered 429${limited.retryAfter !== undefined ? `, retry after ${limited.retryAfter}s` : ''}`)
    return json(503, { error: 'rate limited, please retry' }, limited.retryAfter !== undefined ? { 'retry-after': String(limited.retryAfter) } : {})
  }
  const fromBotpress = isApiError(error) && !(error instanceof ProviderError) && error.type !== 'Runtime'
  if (fromBotpress && error.code >= 400 && error.code < 500) {
    // Botpress refused what the event asks for (too large, invalid): a redelivery would fail the same way.
    log.error(`webhook refused by Botpress, not retryable: ${errorMessage(error)}`)
    return json(400, { error: `the event could not be applied: ${errorMessage(error)}` })
  }
  // Botpress (or the provider, for an agent lookup) failed: answer 5xx so the provider redelivers; replays are idempotent.
  log.error(`webhook processing failed, asking the provider to retry: ${errorMessage(error)}`)
  return json(503, { error: 'temporarily unavailable, please retry' })
}

const apply = (ctx: EngineContext, event: InboundEvent): Promise<boolean> => {
  const key = `${ctx.botId}:${ctx.active.name}:${event.session.by ?? 'externalId'}:${event.session.id}`
  return withKeyLock(key, () => applyNow(ctx, event))
}

const applyNow = async (ctx: EngineContext, event: InboundEvent): Promise<boolean> => {
  const log = ctx.active.logger
  // An agent id becomes a user tag: one Botpress cannot store is malformed input, refused before any Botpress call.
  if (event.kind !== 'sessionClosed' && (!event.agent.id || event.agent.id.length > LIMITS.tagValue)) {
    throw new BadRequestError(`the agent id must be 1 to ${LIMITS.tagValue} characters`)
  }
  // additionalData goes where the plugin keeps it, a Botpress message tag: longer is malformed, not cut (it is opaque).
  if (event.kind === 'agentMessage' && event.additionalData !== undefined && event.additionalData.length > LIMITS.tagValue) {
    throw new BadRequestError(`additionalData must be at most ${LIMITS.tagValue} characters`)
  }
  const conversation = await findConversation(ctx, event.session)
  if (!conversation) {
    if (event.kind !== 'sessionClosed' && (await sessionBeingOpened(ctx))) {
      // The provider can be faster than startHitl: its event may name a session we are still tagging. Ask for a redelivery.
      throw new RetryLaterError(`${event.kind} for a session not known yet while another one is being opened`)
    }
    log.debug(`webhook: ${event.kind} for a session Botpress did not start; ignored`)
    return false
  }
  // A closed session is final: no message, assignment or second close reaches it, whatever the provider sends.
  if (conversation.tags.status === 'closed') {
    log.debug(`webhook: ${event.kind} for a closed session; ignored`)
    return false
  }
  switch (event.kind) {
    case 'agentMessage':
      return applyMessage(ctx, conversation, event)
    case 'agentAssigned': {
      if (isReplay(conversation.tags, event.at, event.proof)) {
        log.info('webhook: an assignment already applied, or older than what the session applied (a replay); ignored')
        return false
      }
      return assignAgent(ctx, conversation, event.agent, event.at ?? Date.now(), event.proof)
    }
    case 'sessionClosed':
      if (isReplay(conversation.tags, event.at, event.proof)) {
        log.info('webhook: a close already applied, or older than what the session applied (a replay); ignored')
        return false
      }
      return applyOnce(ctx, {
        type: 'hitlStopped',
        conversation,
        subject: '',
        tags: { ...orderTags(conversation.tags, event.at, event.proof), status: 'closed', ...closedTags('agent') },
      })
  }
}

/**
 * The session's assignment to `agent`, applied once across deliveries and instances (claim.ts): hitlAssigned, and the
 * conversation tags (`agentId`, and the ordering tags when `at` is given). A no-op when that agent is the one already
 * assigned. Reads and provider lookups come first (a failure there writes nothing); the agent's user is stored
 * alongside the claim.
 */
const assignAgent = async (
  ctx: EngineContext,
  conversation: Conversation,
  agent: Agent,
  at: number | undefined,
  proof: string | undefined
): Promise<boolean> => {
  if (conversation.tags.agentId === agent.id) return false
  const resolved = await resolveAgent(providerCtx(ctx), agent)
  return applyOnce(ctx, {
    type: 'hitlAssigned',
    conversation,
    subject: agent.id,
    agent: 'known' in resolved ? async () => resolved.known : resolved.write,
    tags: { agentId: agent.id, ...(at !== undefined ? orderTags(conversation.tags, at, proof) : {}) },
  })
}

const applyMessage = async (
  ctx: EngineContext,
  conversation: Conversation,
  event: Extract<InboundEvent, { kind: 'agentMessage' }>
): Promise<boolean> => {
  if (conversation.tags.contactId && event.agent.id === conversation.tags.contactId) {
    ctx.active.logger.debug("webhook: the end user's own message came back as an agent message; ignored")
    return false
  }
  // The first agent to write in a session nobody was assigned to is its agent: announced before the message, so the
  // plugin sees one assignment (a later formal assignment of the same agent is then a no-op). Timed by the message only
  // when the provider gave its time.
  if (!conversation.tags.agentId) await assignAgent(ctx, conversation, event.agent, event.at, event.proof)
  const agent = await upsertAgent(providerCtx(ctx), event.agent)
  const many = event.messages.length > 1
  for (const [i, message] of event.messages.entries()) {
    // Keyed by the provider's message id: a redelivery (or a retry after a commit) creates nothing.
    await ctx.client.getOrCreateMessage({
      ...withAdditionalData(toBotpressPayload(message), event.additionalData),
      conversationId: conversation.id,
      userId: agent.id,
      tags: { externalId: tagValue(many ? `${event.messageId}#${i}` : event.messageId) },
      discriminateByTags: ['externalId'],
    })
  }
  return true
}

const providerCtx = (ctx: EngineContext) => ({
  client: ctx.client,
  botId: ctx.botId,
  provider: ctx.active.name,
  adapter: ctx.active.adapter,
})

/** Whether a session of this provider was created in the last two minutes and is still waiting for its provider id. */
const sessionBeingOpened = async (ctx: EngineContext): Promise<boolean> => {
  const { conversations } = await ctx.client.listConversations({
    channel: HITL_CHANNEL,
    tags: { provider: ctx.active.name, status: 'opening' },
  })
  return conversations.some((c) => Date.now() - Date.parse(c.createdAt) < OPENING_GRACE_MS)
}

const findConversation = async (ctx: EngineContext, key: SessionKey): Promise<Conversation | undefined> => {
  // Tag values are at most 500 characters: a longer id cannot be one of ours.
  if (!key.id || key.id.length > LIMITS.tagValue) return undefined
  const by = key.by ?? 'externalId'
  const { conversations } = await ctx.client.listConversations({
    channel: HITL_CHANNEL,
    tags: { [by]: key.id, provider: ctx.active.name },
  })
  return conversations[0]
}

/** An agent message as the Botpress message Botpress's default types describe. */
export type BotpressPayload =
  | { type: 'text'; payload: { text: string } }
  | { type: 'image'; payload: { imageUrl: string; title?: string } }
  | { type: 'audio'; payload: { audioUrl: string; title?: string } }
  | { type: 'video'; payload: { videoUrl: string; title?: string } }
  | { type: 'file'; payload: { fileUrl: string; title?: string } }

/**
 * The hitl message payload carries the platform's `additionalData` (the plugin copies it to the end user's conversation).
 * Its length was checked before anything was applied (applyNow).
 */
const withAdditionalData = (message: BotpressPayload, additionalData: string | undefined) => {
  if (additionalData === undefined) return message
  return { type: message.type, payload: { ...message.payload, additionalData } }
}

const titled = (title: string | undefined) => (title === undefined ? {} : { title })

const MEDIA_LABEL = { image: 'Image', audio: 'Audio', video: 'Video', file: 'File' } as const

/**
 * An agent's message as a Botpress payload. Last line of defence for every provider: a media URL that is not a plain
 * http(s) address (javascript:, data:, too long) never reaches the end user's channel as media; the message becomes
 * text naming the file instead, so nothing is lost and nothing unsafe is rendered.
 */
export const toBotpressPayload = (m: InboundMessage): BotpressPayload => {
  if (m.type !== 'text' && !webUrl(m.url)) {
    return { type: 'text', payload: { text: `[${MEDIA_LABEL[m.type]}${m.title ? `: ${m.title}` : ''}] ${UNSAFE_LINK_NOTE}` } }
  }
  switch (m.type) {
    case 'text':
      return { type: 'text', payload: { text: m.text } }
    case 'image':
      return { type: 'image', payload: { imageUrl: m.url, ...titled(m.title) } }
    case 'audio':
      return { type: 'audio', payload: { audioUrl: m.url, ...titled(m.title) } }
    case 'video':
      return { type: 'video', payload: { videoUrl: m.url, ...titled(m.title) } }
    case 'file':
      return { type: 'file', payload: { fileUrl: m.url, ...titled(m.title) } }
  }
}
