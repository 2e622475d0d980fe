/**
 * What the end user (and the bot) say, published on the custom channel: one thread per HITL session (threaded by our
 * integration thread id), the end user's messages INCOMING, the bot's notices OUTGOING from "Bot". Media are
 * downloaded through the safe media fetcher (capped at the channel's attachment limit) and stored in HubSpot's Files
 * API; a refused download degrades to a titled link, never a lost message.
 */
import { createCache } from '../../core/cache'
import { errorMessage } from '../../core/errors'
import { describeUrl } from '../../core/media'
import { renderOutbound } from '../../core/transcript'
import type { Data, OpenSessionInput, OpenSessionResult, OutboundMessage, ProviderDeps, SendMessageInput, SendMessageResult, SessionRef } from '../../core/types'
import { asId, contentTypeFor, isWebUrl, splitText, uploadName, type MediaKind } from '../shared'
import type { HubspotApi } from './api'
import { MAX_FILE_BYTES, type ChannelApi } from './channel'
import type { Contacts, Identity } from './contacts'
import { escapeHtml, hasUrl, markdownToHtml, markdownToText, textToHtml } from './render'
import type { Ready, Setup } from './setup'
import { threadOwnership } from './threads'

/** The custom-channel text limit is undocumented: longer texts are sent in several messages. */
export const MAX_TEXT = 4000
export const BOT_SENDER_NAME = 'Bot'
export const FILES_FOLDER = '/botpress-hitl'

type Participant = { name?: string; deliveryIdentifier: Identity['deliveryIdentifier'] }
/** What a session keeps (conversation state): where its thread lives and who the end user is on the channel. */
export type SessionData = { channelId?: string; channelAccountId?: string; conversationsThreadId?: string; contact?: Identity }
type FileAttachment = { type: 'FILE'; fileId: string; fileUsageType: string }
type Part = { text: string; richText?: string; attachments: FileAttachment[] }
type Published = { id?: string; conversationsThreadId?: string }
type Media = { type: MediaKind; url: string; title?: string }

const MEDIA_USAGE: Record<MediaKind, string> = { image: 'IMAGE', audio: 'AUDIO', video: 'OTHER', file: 'OTHER' }
const MEDIA_LABEL: Record<MediaKind, string> = { image: 'Image', audio: 'Audio', video: 'Video', file: 'File' }

/** Each session's route and end user, per process: a warm instance publishes without reading Botpress states. */
const sessions = createCache<SessionData>({ name: 'hubspot sessions', max: 5000 })

export const createMessages = (p: { api: HubspotApi; channels: ChannelApi; setup: Setup; contacts: Contacts; deps: ProviderDeps; scope: string }) => {
  const { api, channels, setup, contacts, deps, scope } = p
  const { logger } = deps
  const owned = threadOwnership(scope)

  const account = (name?: string): Participant => ({ ...(name ? { name } : {}), deliveryIdentifier: { type: 'CHANNEL_SPECIFIC_OPAQUE_ID', value: channels.accountIdentifier() } })
  const participant = (contact: Identity): Participant => ({ ...(contact.name ? { name: contact.name } : {}), deliveryIdentifier: contact.deliveryIdentifier })
  /** E-mail and phone identifiers are matched to the CRM contact by HubSpot itself; an opaque one needs the contact id. */
  const pinned = (contact: Identity) => (contact.deliveryIdentifier.type === 'CHANNEL_SPECIFIC_OPAQUE_ID' && /^\d{1,20}$/.test(contact.id) ? Number(contact.id) : undefined)

  const publish = async (
    route: { channelId: string; channelAccountId: string },
    m: { direction: 'INCOMING' | 'OUTGOING'; threadKey: string; idempotencyId: string; part: Part; senders: Participant[]; recipients: Participant[]; contact: Identity }
  ): Promise<Published> => {
    const associate = m.direction === 'INCOMING' ? pinned(m.contact) : undefined
    const res = await api.bearer<{ id?: unknown; conversationsThreadId?: unknown }>({
      method: 'POST',
      path: `conversations/v3/custom-channels/${encodeURIComponent(route.channelId)}/messages`,
      json: {
        messageDirection: m.direction,
        channelAccountId: route.channelAccountId,
        integrationThreadId: m.threadKey,
        // Makes the publish safe to repeat (timeouts, 5xx, a redelivered Botpress message): one message, not two.
        integrationIdempotencyId: m.idempotencyId,
        timestamp: new Date().toISOString(),
        text: m.part.text,
        ...(m.part.richText ? { richText: m.part.richText } : {}),
        senders: m.senders,
        recipients: m.recipients,
        attachments: m.part.attachments,
        ...(associate !== undefined ? { associateWithContactId: associate } : {}),
      },
      idempotent: true,
      okStatuses: [409],
      operation: 'publish message',
    })
    if (res.status === 409) {
      logger.debug(`HubSpot already has message ${m.idempotencyId}: not published twice`)
      return {}
    }
    const published = { id: asId(res.body?.id), conversationsThreadId: asId(res.body?.conversationsThreadId) }
    if (published.conversationsThreadId) owned.set(published.conversationsThreadId, 'ours')
    return published
  }

  /** Stores bytes in HubSpot's file manager (private, one folder) and answers the file id for a FILE attachment. */
  const uploadBuffer = async (buffer: Buffer, mime: string, name: string): Promise<string> => {
    const form = new FormData()
    form.append('file', new Blob([new Uint8Array(buffer)], { type: mime }), name)
    form.append('folderPath', FILES_FOLDER)
    form.append('options', JSON.stringify({ access: 'PRIVATE', overwrite: false, duplicateValidationStrategy: 'NONE', duplicateValidationScope: 'EXACT_FOLDER' }))
    const res = await api.bearer<{ id?: unknown }>({ method: 'POST', path: 'files/v3/files', body: form, operation: 'upload file' })
    const id = asId(res.body?.id)
    if (!id) throw new Error('HubSpot answered the upload without a file id')
    return id
  }

  /** A Botpress file uploaded to HubSpot's file manager; undefined when it cannot be (then it is sent as a link). */
  const upload = async (item: Media): Promise<{ fileId: string; name: string } | undefined> => {
    if (!isWebUrl(item.url)) return undefined
    const download = await deps.media(item.url, { maxBytes: MAX_FILE_BYTES })
    if (!download.ok) {
      logger.warn(`could not attach the ${item.type} in HubSpot (${download.reason}): sent as a link instead`)
      return undefined
    }
    if (!download.body.length) {
      logger.warn(`could not attach the ${item.type} in HubSpot (${describeUrl(item.url)} is empty): sent as a link instead`)
      return undefined
    }
    const name = uploadName(item.url, item.title ?? download.fileName, download.contentType, item.type)
    try {
      return { fileId: await uploadBuffer(download.body, contentTypeFor(name, download.contentType), name), name }
    } catch (error) {
      logger.warn(`could not attach the ${item.type} in HubSpot (${errorMessage(error)}): sent as a link instead`)
      return undefined
    }
  }

  /** One outbound item as the message(s) to publish, in order; media degrade to a titled link, never dropped. */
  const render = async (item: OutboundMessage): Promise<Part[]> => {
    switch (item.type) {
      case 'text':
        if (!item.text.trim()) return []
        return splitText(item.text, { maxChars: MAX_TEXT }).map((text) => ({ text, ...(hasUrl(text) ? { richText: textToHtml(text) } : {}), attachments: [] }))
      case 'markdown':
        if (!item.markdown.trim()) return []
        return splitText(item.markdown, { maxChars: MAX_TEXT }).map((md) => ({ text: markdownToText(md), richText: markdownToHtml(md), attachments: [] }))
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
        const file = await upload(item)
        // `text` is required on a published message: an attachment carries its title, else its file name.
        if (file) return [{ text: item.title?.trim() || file.name, attachments: [{ type: 'FILE', fileId: file.fileId, fileUsageType: MEDIA_USAGE[item.type] }] }]
        const label = MEDIA_LABEL[item.type]
        const title = item.title?.trim()
        if (!isWebUrl(item.url)) return [{ text: `[${label}${title ? `: ${title}` : ''} (not a web link, not sent)]`, attachments: [] }]
        const text = `${label}${title ? ` "${title}"` : ''}: ${item.url}`
        return [{ text, richText: `<p>${label}: <a href="${escapeHtml(item.url)}">${escapeHtml(title || item.url)}</a></p>`, attachments: [] }]
      }
    }
  }

  const sessionData = async (session: SessionRef): Promise<SessionData> => {
    const key = `${scope}:${session.id}`
    const cached = sessions.get(key)
    if (cached) return cached
    const data = (await session.data()) as SessionData
    if (data.channelId && data.channelAccountId) sessions.set(key, data)
    return data
  }

  const openSession = async (input: OpenSessionInput): Promise<OpenSessionResult> => {
    const route = await setup.ready()
    const contact = await contacts.identity(input.contact)
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

    // The first message carries everything, the whole transcript inline, whatever the history's length: HubSpot
    // documents no maximum for a published message's `text` (developers.hubspot.com/docs/api-reference/legacy/
    // conversations/custom-channels/messages/create-custom-channel: a plain string), so no cut of ours (MAX_TEXT is
    // for the bot's own messages) makes startHitl cost more requests with a longer history.
    const whole = transcript ? opening('Conversation with the bot', transcript) : head || `${contact.name ?? 'The user'} asked to talk to an agent.`
    const richText = headHtml + (transcript ? `<p><strong>Conversation with the bot:</strong></p>${textToHtml(transcript)}` : '')
    const parts: Part[] = [{ text: whole, ...(richText ? { richText } : {}), attachments: [] }]

    let first: Published = {}
    for (const [i, part] of parts.entries()) {
      const published = await publish(route, {
        direction: 'INCOMING',
        threadKey,
        idempotencyId: `${threadKey}:open${i ? `#${i}` : ''}`,
        part,
        senders: [participant(contact)],
        recipients: [account()],
        contact,
      })
      if (i === 0) first = published
    }
    const data: SessionData = { channelId: route.channelId, channelAccountId: route.channelAccountId, conversationsThreadId: first.conversationsThreadId, contact }
    sessions.set(`${scope}:${threadKey}`, data)
    return { id: threadKey, altId: first.conversationsThreadId, data: data as Data }
  }

  const sendMessage = async ({ session, author, message, botpressMessageId }: SendMessageInput): Promise<SendMessageResult> => {
    const data = await sessionData(session)
    const route: Pick<Ready, 'channelId' | 'channelAccountId'> =
      data.channelId && data.channelAccountId ? { channelId: data.channelId, channelAccountId: data.channelAccountId } : await setup.ready()
    const unknownId = session.contactId ?? 'unknown'
    const endUser: Identity =
      author.kind === 'user'
        ? await contacts.identity(author.contact, data.contact)
        : (data.contact ?? (session.contact ? await contacts.identity(session.contact) : { id: unknownId, deliveryIdentifier: contacts.opaque(unknownId) }))
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
          senders: author.kind === 'user' ? [participant(endUser)] : [account(BOT_SENDER_NAME)],
          recipients: author.kind === 'user' ? [account()] : [participant(endUser)],
          contact: endUser,
        })
        if (published.id || published.conversationsThreadId) last = published
      }
    }
    return { id: last.id, altId: session.altId ? undefined : last.conversationsThreadId }
  }

  const closeSession = async (session: SessionRef): Promise<void> => {
    const threadId = session.altId ?? (await sessionData(session).catch((): SessionData => ({}))).conversationsThreadId
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
  }

  return { openSession, sendMessage, closeSession }
}
