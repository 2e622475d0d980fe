/**
 * HubSpot Help Desk through a custom channel: the end user's messages are published on the channel as INCOMING
 * messages of one thread per HITL session (threaded by our integration thread id), the bot's notices as OUTGOING
 * messages from "Bot"; agents' replies come back as custom-channel deliveries, assignment and closing as app webhooks.
 */
import { errorMessage, HitlError, ProviderError } from '../../core/errors'
import { renderOutbound } from '../../core/transcript'
import type {
  Agent,
  ContactRef,
  CreateContactInput,
  Data,
  OpenSessionInput,
  OutboundMessage,
  ProviderAdapter,
  ProviderDeps,
  SessionRef,
  WebhookRequest,
} from '../../core/types'
import { HubspotApi, TITLE } from './api'
import { ChannelManager, MAX_FILE_BYTES, type Ready } from './channel'
import type { HubspotConfig } from './config'
import { escapeHtml, hasUrl, markdownToHtml, markdownToText, splitText, textToHtml } from './markup'
import { verifySignature } from './signature'
import { StateStore } from './state'
import { agentActorId, parseHubspotWebhook } from './webhook'

/** The custom-channel text limit is undocumented: longer texts are sent in several messages. */
export const MAX_TEXT = 4000
export const BOT_SENDER_NAME = 'Bot'
export const FILES_FOLDER = '/botpress-hitl'
/** Lifetime of the signed URL of an agent attachment HubSpot sent without a URL. */
const SIGNED_URL_SECONDS = 24 * 3600

type IdentifierType = 'HS_EMAIL_ADDRESS' | 'HS_PHONE_NUMBER' | 'CHANNEL_SPECIFIC_OPAQUE_ID'
type DeliveryIdentifier = { type: IdentifierType; value: string }
type Participant = { name?: string; deliveryIdentifier: DeliveryIdentifier }
/** What a session keeps (conversation state): where its thread lives and who the end user is on the channel. */
type SessionData = {
  channelId?: string
  channelAccountId?: string
  conversationsThreadId?: string
  contact?: { id: string; name?: string; deliveryIdentifier: DeliveryIdentifier }
}
type Part = { text: string; richText?: string; attachments: unknown[] }
type Published = { id?: string; conversationsThreadId?: string }

const MEDIA_USAGE: Record<string, string> = { image: 'IMAGE', audio: 'AUDIO', video: 'OTHER', file: 'OTHER' }
const MEDIA_LABEL: Record<string, string> = { image: 'Image', audio: 'Audio', video: 'Video', file: 'File' }
const MIME_BY_EXT: Record<string, string> = {
  png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp', svg: 'image/svg+xml',
  mp3: 'audio/mpeg', ogg: 'audio/ogg', wav: 'audio/wav', m4a: 'audio/mp4', mp4: 'video/mp4', mov: 'video/quicktime',
  webm: 'video/webm', pdf: 'application/pdf', txt: 'text/plain', csv: 'text/csv',
}
const EXT_BY_MIME = Object.fromEntries(Object.entries(MIME_BY_EXT).map(([ext, mime]) => [mime, ext]))

/** A phone number in E.164, as HubSpot validates HS_PHONE_NUMBER identifiers (international format expected). */
export const e164 = (raw: string) => {
  const trimmed = raw.trim()
  const digits = trimmed.replace(/\D/g, '')
  if (trimmed.startsWith('+')) return `+${digits}`
  if (digits.startsWith('00')) return `+${digits.slice(2)}`
  return `+${digits}`
}

/** The last lines of a text that fit in `room` characters (at least the end of the last line). */
const tailLines = (text: string, room: number) => {
  const lines = text.split('\n')
  const kept: string[] = []
  let size = 0
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!
    if (size + line.length + 1 > room) break
    kept.unshift(line)
    size += line.length + 1
  }
  return kept.length ? kept.join('\n') : text.slice(-room)
}

const splitName = (name: string) => {
  const parts = name.trim().split(/\s+/).filter(Boolean)
  return { firstname: parts[0] ?? '', lastname: parts.slice(1).join(' ') }
}

const isIdentifier = (v: unknown): v is DeliveryIdentifier =>
  !!v &&
  typeof v === 'object' &&
  ['HS_EMAIL_ADDRESS', 'HS_PHONE_NUMBER', 'CHANNEL_SPECIFIC_OPAQUE_ID'].includes((v as DeliveryIdentifier).type) &&
  typeof (v as DeliveryIdentifier).value === 'string'

const fileNameOf = (item: { type: string; url: string; title?: string }, mime: string) => {
  const fromTitle = item.title && /\.[a-z0-9]{2,5}$/i.test(item.title) ? item.title : undefined
  let fromUrl: string | undefined
  try {
    fromUrl = decodeURIComponent(new URL(item.url).pathname.split('/').filter(Boolean).pop() ?? '') || undefined
  } catch {
    fromUrl = undefined
  }
  const base = (fromTitle ?? (fromUrl && /\.[a-z0-9]{2,5}$/i.test(fromUrl) ? fromUrl : undefined) ?? `${item.type}.${EXT_BY_MIME[mime] ?? 'bin'}`)
  return base.replace(/[\\/:*?"<>|\u0000-\u001f]/g, '_').slice(0, 200)
}

const mimeOf = (contentType: unknown, url: string) => {
  const header = typeof contentType === 'string' ? contentType.split(';')[0]!.trim().toLowerCase() : ''
  if (header && header !== 'application/octet-stream') return header
  const ext = /\.([a-z0-9]{2,5})(?:$|\?)/i.exec(url)?.[1]?.toLowerCase()
  return (ext && MIME_BY_EXT[ext]) || header || 'application/octet-stream'
}

type Identity = NonNullable<SessionData['contact']>

/**
 * What never changes once written, kept per process so that a warm instance publishes a user's message without
 * reading Botpress states: each session's route and end user (set by openSession), each contact's identity (set by
 * createContact). Keys carry the installation's scope. A cold instance reads the states once and fills them.
 */
const sessionMemory = new Map<string, SessionData>()
const contactMemory = new Map<string, Identity>()
const MEMORY_MAX = 5000
const remember = <T>(map: Map<string, T>, key: string, value: T) => {
  if (!map.has(key) && map.size >= MEMORY_MAX) map.delete(map.keys().next().value!)
  map.set(key, value)
}
/** Tests: forget the per-process session and contact memory. */
export const resetAdapterMemory = () => {
  sessionMemory.clear()
  contactMemory.clear()
}

export const createHubspotAdapter = (config: HubspotConfig, deps: ProviderDeps): ProviderAdapter => {
  const { logger, ctx } = deps
  const scope = ctx.webhookId || `${ctx.botId}:${ctx.integrationId}`
  const state = new StateStore(deps.store, scope)
  const api = new HubspotApi(config, deps.http, logger, state, scope)
  const channels = new ChannelManager(api, state, config, logger, ctx.webhookId)
  /** Display names of agents seen in the webhook being parsed (used when the actors API cannot answer). */
  const agentNames = new Map<string, string>()

  const accountParticipant = (name?: string): Participant => ({
    ...(name ? { name } : {}),
    deliveryIdentifier: { type: 'CHANNEL_SPECIFIC_OPAQUE_ID', value: channels.accountIdentifier() },
  })

  /** The end user as a channel participant: their e-mail or phone (from createUser), else an opaque id. */
  const contactIdentity = async (contact: ContactRef, known?: Identity): Promise<Identity> => {
    if (known && known.id === contact.id) return known
    const cached = contactMemory.get(`${scope}:${contact.id}`)
    if (cached) return cached
    const [data, profile] = await Promise.all([contact.data(), contact.profile()])
    const stored = isIdentifier(data.deliveryIdentifier) ? data.deliveryIdentifier : undefined
    const deliveryIdentifier: DeliveryIdentifier =
      stored ??
      (profile.email
        ? { type: 'HS_EMAIL_ADDRESS', value: profile.email }
        : profile.phone
          ? { type: 'HS_PHONE_NUMBER', value: e164(profile.phone) }
          : opaqueIdentity(contact.id))
    const identity: Identity = { id: contact.id, name: profile.name, deliveryIdentifier }
    remember(contactMemory, `${scope}:${contact.id}`, identity)
    return identity
  }

  const opaqueIdentity = (id: string): DeliveryIdentifier => ({ type: 'CHANNEL_SPECIFIC_OPAQUE_ID', value: `botpress-contact-${id}` })

  /** What createContact learnt, remembered as the contact's identity on the channel. */
  const contactResult = (id: string, name: string, identifier: DeliveryIdentifier | undefined) => {
    remember(contactMemory, `${scope}:${id}`, { id, name, deliveryIdentifier: identifier ?? opaqueIdentity(id) })
    return { id, data: (identifier ? { deliveryIdentifier: identifier } : {}) as Data }
  }

  /** E-mail and phone identifiers are matched to the CRM contact by HubSpot itself; an opaque one needs the contact id. */
  const pinnedContact = (contact: NonNullable<SessionData['contact']>) =>
    contact.deliveryIdentifier.type === 'CHANNEL_SPECIFIC_OPAQUE_ID' ? contact.id : undefined

  const participant = (contact: NonNullable<SessionData['contact']>): Participant => ({
    ...(contact.name ? { name: contact.name } : {}),
    deliveryIdentifier: contact.deliveryIdentifier,
  })

  const publish = async (
    route: { channelId: string; channelAccountId: string },
    message: {
      direction: 'INCOMING' | 'OUTGOING'
      threadKey: string
      idempotencyId: string
      part: Part
      senders: Participant[]
      recipients: Participant[]
      /** Pins the CRM contact when the sender has no e-mail or phone HubSpot could match it by. */
      associateWith?: string
    }
  ): Promise<Published> => {
    const res = await api.bearer<{ id?: unknown; conversationsThreadId?: unknown }>({
      method: 'POST',
      path: `conversations/v3/custom-channels/${encodeURIComponent(route.channelId)}/messages`,
      json: {
        messageDirection: message.direction,
        channelAccountId: route.channelAccountId,
        integrationThreadId: message.threadKey,
        // Makes the publish safe to repeat (timeouts, 5xx, a redelivered Botpress message): one message, not two.
        integrationIdempotencyId: message.idempotencyId,
        timestamp: new Date().toISOString(),
        text: message.part.text,
        ...(message.part.richText ? { richText: message.part.richText } : {}),
        senders: message.senders,
        recipients: message.recipients,
        attachments: message.part.attachments,
        ...(message.direction === 'INCOMING' && message.associateWith && /^\d+$/.test(message.associateWith)
          ? { associateWithContactId: Number(message.associateWith) }
          : {}),
      },
      idempotent: true,
      okStatuses: [409],
      operation: 'publish message',
    })
    if (res.status === 409) {
      logger.debug(`HubSpot already has message ${message.idempotencyId}: not published twice`)
      return {}
    }
    const body = res.body ?? {}
    return {
      id: body.id !== undefined ? String(body.id) : undefined,
      conversationsThreadId: body.conversationsThreadId !== undefined ? String(body.conversationsThreadId) : undefined,
    }
  }

  /** Stores bytes in HubSpot's file manager (private, one folder) and answers the file id for a FILE attachment. */
  const uploadBuffer = async (buffer: Buffer, mime: string, name: string): Promise<string> => {
    const form = new FormData()
    form.append('file', new Blob([new Uint8Array(buffer)], { type: mime }), name)
    form.append('folderPath', FILES_FOLDER)
    form.append('options', JSON.stringify({ access: 'PRIVATE', overwrite: false, duplicateValidationStrategy: 'NONE', duplicateValidationScope: 'EXACT_FOLDER' }))
    const res = await api.bearer<{ id?: unknown }>({ method: 'POST', path: 'files/v3/files', body: form, operation: 'upload file' })
    const id = res.body?.id !== undefined ? String(res.body.id) : ''
    if (!id) throw new Error('HubSpot answered the upload without a file id')
    return id
  }

  /** Uploads a Botpress file to HubSpot's file manager; undefined when it cannot (then it is sent as a link). */
  const upload = async (item: { type: string; url: string; title?: string }): Promise<string | undefined> => {
    if (!/^https?:\/\//i.test(item.url)) return undefined
    try {
      const download = await api.external<Buffer>({ path: item.url, responseType: 'buffer', operation: `download the ${item.type}` })
      const buffer = download.body
      if (!buffer?.length) throw new Error('the file is empty')
      if (buffer.length > MAX_FILE_BYTES) throw new Error(`the file is larger than ${MAX_FILE_BYTES / 1_000_000} MB`)
      const mime = mimeOf(download.headers['content-type'], item.url)
      return await uploadBuffer(buffer, mime, fileNameOf(item, mime))
    } catch (error) {
      logger.warn(`could not attach the ${item.type} in HubSpot (${errorMessage(error)}): sent as a link instead`)
      return undefined
    }
  }

  /** One outbound item as the message(s) to publish, in order; media degrade to a titled link, never dropped. */
  const render = async (item: OutboundMessage): Promise<Part[]> => {
    switch (item.type) {
      case 'text': {
        if (!item.text.trim()) return []
        const pieces = splitText(item.text, MAX_TEXT)
        return pieces.map((text) => ({ text, ...(hasUrl(text) ? { richText: textToHtml(text) } : {}), attachments: [] }))
      }
      case 'markdown': {
        if (!item.markdown.trim()) return []
        const pieces = splitText(item.markdown, MAX_TEXT)
        return pieces.map((md) => ({ text: markdownToText(md), richText: markdownToHtml(md), attachments: [] }))
      }
      case 'location': {
        const text = `${renderOutbound(item)}\nhttps://maps.google.com/?q=${item.latitude},${item.longitude}`
        return [{ text, richText: textToHtml(text), attachments: [] }]
      }
      case 'bloc': {
        const out: Part[] = []
        for (const sub of item.items) out.push(...(await render(sub)))
        return out
      }
      default: {
        const fileId = await upload(item)
        if (fileId) {
          return [{ text: item.title ?? '', attachments: [{ type: 'FILE', fileId, fileUsageType: MEDIA_USAGE[item.type] ?? 'OTHER' }] }]
        }
        const label = MEDIA_LABEL[item.type] ?? 'File'
        const text = `${label}${item.title ? ` "${item.title}"` : ''}: ${item.url}`
        const richText = `<p>${label}: <a href="${escapeHtml(item.url)}">${escapeHtml(item.title ?? item.url)}</a></p>`
        return [{ text, richText, attachments: [] }]
      }
    }
  }

  const sessionData = async (session: SessionRef): Promise<SessionData> => {
    const key = `${scope}:${session.id}`
    const cached = sessionMemory.get(key)
    if (cached) return cached
    const data = (await session.data()) as SessionData
    if (data.channelId && data.channelAccountId) remember(sessionMemory, key, data)
    return data
  }

  return {
    title: TITLE,
    // Bloc items are published here one by one, each with its own idempotency id (the core would give them one id).
    acceptsBloc: true,

    async connect({ webhookUrl }) {
      await channels.connect(webhookUrl)
    },

    async disconnect({ webhookUrl }) {
      await channels.disconnect(webhookUrl)
    },

    async createContact(input: CreateContactInput) {
      const identifier: DeliveryIdentifier | undefined = input.email
        ? { type: 'HS_EMAIL_ADDRESS', value: input.email }
        : input.phone
          ? { type: 'HS_PHONE_NUMBER', value: e164(input.phone) }
          : undefined
      const what = identifier ? `${identifier.type === 'HS_EMAIL_ADDRESS' ? 'e-mail address' : 'phone number'} ${identifier.value}` : undefined

      if (identifier) {
        const filterGroups =
          identifier.type === 'HS_EMAIL_ADDRESS'
            ? [{ filters: [{ propertyName: 'email', operator: 'EQ', value: identifier.value }] }]
            : [...new Set([identifier.value, input.phone!.trim()])].flatMap((value) =>
                ['phone', 'mobilephone'].map((propertyName) => ({ filters: [{ propertyName, operator: 'EQ', value }] }))
              )
        const res = await api.bearer<{ results?: Array<{ id: unknown }> }>({
          method: 'POST',
          path: 'crm/v3/objects/contacts/search',
          json: { filterGroups, properties: ['email', 'firstname', 'lastname', 'phone', 'mobilephone'], limit: 1, after: '0', sorts: [] },
          idempotent: true,
          okStatuses: [403],
          operation: 'search contact',
        })
        if (res.status === 403) {
          throw new HitlError(
            `HubSpot refused to search contacts: grant the app the crm.objects.contacts.read scope and authorize it again (${describe(res.body)})`
          )
        }
        const found = res.body?.results?.[0]
        if (found?.id !== undefined) return contactResult(String(found.id), input.name, identifier)
      }

      // Not in the CRM: created when the app may (scope crm.objects.contacts.write), otherwise a clear error.
      const res = await api.bearer<{ id?: unknown; message?: string }>({
        method: 'POST',
        path: 'crm/v3/objects/contacts',
        json: {
          properties: {
            ...splitName(input.name),
            ...(identifier?.type === 'HS_EMAIL_ADDRESS' ? { email: identifier.value } : {}),
            ...(identifier?.type === 'HS_PHONE_NUMBER' ? { phone: identifier.value } : {}),
          },
          associations: [],
        },
        okStatuses: [403, 409],
        operation: 'create contact',
      })
      if (res.status === 409) {
        const existing = /Existing ID:\s*(\d+)/i.exec(String(res.body?.message ?? ''))?.[1]
        if (existing) return contactResult(existing, input.name, identifier)
        throw new ProviderError(`${TITLE} says the contact already exists but did not name it; try again in a few seconds`, {
          provider: TITLE,
          status: 409,
          operation: 'create contact',
        })
      }
      if (res.status === 403) {
        throw new HitlError(
          what
            ? `No HubSpot contact has the ${what}. Create the contact in HubSpot first, or grant the app the crm.objects.contacts.write scope so that missing contacts are created.`
            : 'HubSpot needs the end user\'s e-mail address or phone number (createUser "email" input) to find the CRM contact; ' +
                'or grant the app the crm.objects.contacts.write scope so that a contact is created from the name.'
        )
      }
      const id = res.body?.id !== undefined ? String(res.body.id) : ''
      if (!id) throw new ProviderError(`${TITLE} created the contact without answering its id`, { provider: TITLE, operation: 'create contact' })
      logger.info(`created HubSpot contact ${id}`)
      return contactResult(id, input.name, identifier)
    },

    async openSession(input: OpenSessionInput) {
      const route = await channels.ready()
      const contact = await contactIdentity(input.contact)
      const threadKey = `bp-${input.botpressConversationId}`
      const facts = (
        [
          ['Title', input.title ?? input.extras.subject],
          ['Description', input.description],
          ['Priority', input.extras.priority],
        ] as Array<[string, string | undefined]>
      ).filter((f): f is [string, string] => !!f[1])
      const head = facts.map(([k, v]) => `${k}: ${v}`).join('\n')
      const headHtml = facts.map(([k, v]) => `<p><strong>${k}:</strong> ${escapeHtml(v)}</p>`).join('')
      const transcript = input.transcript.text.trim()
      const opening = (label: string, body: string) => `${head}${head ? '\n\n' : ''}${label}:\n${body}`

      // The first message carries everything; a transcript too long for one message is attached whole as a text
      // file (the most recent lines stay readable inline), so that the opening costs the same for any history.
      let parts: Part[]
      const whole = transcript ? opening('Conversation with the bot', transcript) : head || `${contact.name ?? 'The user'} asked to talk to an agent.`
      if (whole.length <= MAX_TEXT) {
        const richText = headHtml + (transcript ? `<p><strong>Conversation with the bot:</strong></p>${textToHtml(transcript)}` : '')
        parts = [{ text: whole, ...(richText ? { richText } : {}), attachments: [] }]
      } else {
        const label = 'Conversation with the bot (most recent messages; the whole conversation is attached)'
        const room = MAX_TEXT - opening(label, '').length
        const fileId =
          room >= 500
            ? await uploadBuffer(Buffer.from(transcript, 'utf8'), 'text/plain', `conversation-${input.botpressConversationId}.txt`).catch((error) => {
                logger.warn(`could not attach the conversation transcript in HubSpot (${errorMessage(error)}): sent in several messages instead`)
                return undefined
              })
            : undefined
        if (fileId) {
          const tail = tailLines(transcript, room)
          parts = [{ text: opening(label, tail), attachments: [{ type: 'FILE', fileId, fileUsageType: 'OTHER' }] }]
        } else {
          parts = splitText(whole, MAX_TEXT).map((text) => ({ text, attachments: [] }))
        }
      }

      let first: Published = {}
      for (const [i, part] of parts.entries()) {
        const published = await publish(route, {
          direction: 'INCOMING',
          threadKey,
          idempotencyId: `${threadKey}:open${i ? `#${i}` : ''}`,
          part,
          senders: [participant(contact)],
          recipients: [accountParticipant()],
          associateWith: pinnedContact(contact),
        })
        if (i === 0) first = published
      }
      const data: SessionData = {
        channelId: route.channelId,
        channelAccountId: route.channelAccountId,
        conversationsThreadId: first.conversationsThreadId,
        contact,
      }
      remember(sessionMemory, `${scope}:${threadKey}`, data)
      return { id: threadKey, altId: first.conversationsThreadId, data: data as Data }
    },

    async sendMessage({ session, author, message, botpressMessageId }) {
      const data = await sessionData(session)
      const route: Pick<Ready, 'channelId' | 'channelAccountId'> =
        data.channelId && data.channelAccountId ? { channelId: data.channelId, channelAccountId: data.channelAccountId } : await channels.ready()
      const endUser: Identity =
        author.kind === 'user'
          ? await contactIdentity(author.contact, data.contact)
          : (data.contact ??
            (session.contact
              ? await contactIdentity(session.contact)
              : { id: session.contactId ?? 'unknown', deliveryIdentifier: opaqueIdentity(session.contactId ?? 'unknown') }))
      const items = message.type === 'bloc' ? message.items : [message]
      let last: Published = {}
      for (const [i, item] of items.entries()) {
        const key = message.type === 'bloc' ? `${botpressMessageId}:${i}` : botpressMessageId
        const parts = await render(item)
        for (const [n, part] of parts.entries()) {
          const published = await publish(route, {
            direction: author.kind === 'user' ? 'INCOMING' : 'OUTGOING',
            threadKey: session.id,
            idempotencyId: n ? `${key}#${n}` : key,
            part,
            senders: author.kind === 'user' ? [participant(endUser)] : [accountParticipant(BOT_SENDER_NAME)],
            recipients: author.kind === 'user' ? [accountParticipant()] : [participant(endUser)],
            associateWith: pinnedContact(endUser),
          })
          if (published.id || published.conversationsThreadId) last = published
        }
      }
      return { id: last.id, altId: session.altId ? undefined : last.conversationsThreadId }
    },

    async closeSession(session: SessionRef) {
      const threadId = session.altId ?? (await sessionData(session).catch(() => ({}) as SessionData)).conversationsThreadId
      if (!threadId) {
        logger.warn(`HubSpot thread of session ${session.id} is unknown: nothing to close`)
        return
      }
      const res = await api.bearer({
        method: 'PATCH',
        path: `conversations/v3/conversations/threads/${encodeURIComponent(threadId)}`,
        json: { status: 'CLOSED' },
        idempotent: true,
        okStatuses: [404],
        operation: 'close thread',
      })
      if (res.status === 404) logger.debug(`HubSpot thread ${threadId} no longer exists (archived): nothing to close`)
    },

    async verifyWebhook(req: WebhookRequest) {
      // Verification needs our public webhook URL (HubSpot signs it): from memory when warm, else one state read.
      const known = state.peek() ?? (await state.load())
      const bases = [known.webhookUrl, channels.defaultWebhookUrl(), `https://webhook.botpress.cloud/${ctx.webhookId}`].filter(
        (b): b is string => !!b
      )
      return verifySignature(req, { secret: config.clientSecret, bases: [...new Set(bases)] })
    },

    async parseWebhook(req: WebhookRequest) {
      const known = state.peek() ?? (await state.load())
      return parseHubspotWebhook(req.body, {
        portalId: await api.hubId(),
        channelAccountId: known.channelAccountId,
        hintAgent: (actorId, name) => agentNames.set(actorId, name),
        warn: (text) => logger.warn(text),
        resolveFileUrl: async (fileId) => {
          const res = await api.bearer<{ url?: string }>({
            path: `files/v3/files/${encodeURIComponent(fileId)}/signed-url`,
            searchParams: { expirationSeconds: SIGNED_URL_SECONDS },
            operation: 'get attachment URL',
          })
          return typeof res.body?.url === 'string' ? res.body.url : undefined
        },
      })
    },

    async describeAgent(agentId: string): Promise<Agent> {
      const actorId = agentActorId(agentId)
      const hint = actorId ? agentNames.get(actorId) : undefined
      if (!actorId) return { id: agentId, name: 'HubSpot agent' }
      try {
        const res = await api.bearer<{ name?: string; avatar?: string }>({
          path: `conversations/v3/conversations/actors/${encodeURIComponent(actorId)}`,
          okStatuses: [403, 404],
          operation: 'get agent',
        })
        if (res.status === 200) {
          return { id: agentId, name: res.body?.name?.trim() || hint || 'HubSpot agent', pictureUrl: res.body?.avatar || undefined }
        }
        logger.warn(`HubSpot could not describe agent ${actorId} (${res.status}${res.status === 403 ? ': the app needs the conversations.read scope' : ''})`)
      } catch (error) {
        // Temporary (429 after retries, 5xx): fail so HubSpot redelivers rather than naming the agent for good.
        if (error instanceof ProviderError && (error.details.status === undefined || error.details.status >= 429)) throw error
        logger.warn(`HubSpot could not describe agent ${actorId}: ${errorMessage(error)}`)
      }
      return { id: agentId, name: hint ?? 'HubSpot agent' }
    },
  }
}

const describe = (body: unknown) => {
  const b = body && typeof body === 'object' ? (body as Record<string, unknown>) : {}
  return typeof b.message === 'string' ? b.message : 'forbidden'
}
