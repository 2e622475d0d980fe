/**
 * Our request contract for the HubSpot endpoints the test double serves, written by hand from HubSpot's
 * documentation as summarised in /work/notes/hubspot.md and docs/providers.md (HubSpot section).
 *
 * For every operation ("METHOD /path/{param}"): its path parameters, the query parameters it accepts (the
 * authentication parameters `hapikey`/`appId` are not listed: the fake allows them on app-level endpoints), the
 * request body as a compact JSON Schema (ajv) and a minimal schema of the fake's own 2xx answers.
 *
 * What we constrain is what matters to the adapter and what the documentation states plainly: required fields,
 * the value types and the enums (identifier types, message direction, attachment usage, thread status, …).
 * Where the documentation allows optional fields we do not model, or where it is silent, the schemas stay open
 * (no `additionalProperties: false`) rather than invent constraints. Rules a schema cannot express (identifier
 * formats, identifier types declared by the channel, multipart `options`) are checked by the fake itself.
 */

export type Schema = Record<string, unknown>
export type ParamType = 'string' | 'integer' | 'boolean'
export type PathParam = { name: string; type: ParamType }
export type QueryParam = { name: string; type: ParamType; required?: boolean; repeatable?: boolean }
export type BodyContract = {
  contentType: 'application/json' | 'application/x-www-form-urlencoded' | 'multipart/form-data'
  required: boolean
  schema: Schema
}
export type OperationContract = {
  /** What the operation does, in a line. */
  about: string
  path: PathParam[]
  query: QueryParam[]
  body?: BodyContract
  /** Schemas of the fake's own 2xx answers, by status. */
  responses?: Record<number, Schema>
}

// ─── small schema builders ───────────────────────────────────────────────────

const string: Schema = { type: 'string' }
const nonEmpty: Schema = { type: 'string', minLength: 1 }
const integer: Schema = { type: 'integer' }
const boolean: Schema = { type: 'boolean' }
const oneOf = (...values: string[]): Schema => ({ type: 'string', enum: values })
const list = (items: Schema, extra: Schema = {}): Schema => ({ type: 'array', items, ...extra })
/** An object; open to fields we do not model unless `closed`. */
const object = (properties: Record<string, Schema>, required: string[] = [], closed = false): Schema => ({
  type: 'object',
  properties,
  ...(required.length ? { required } : {}),
  ...(closed ? { additionalProperties: false } : {}),
})
/** HubSpot sends ids as JSON strings; a few older objects use numbers, so answers accept both. */
const anyId: Schema = { type: ['string', 'integer'] }
const json = (schema: Schema, required = true): BodyContract => ({ contentType: 'application/json', required, schema })

// ─── shared vocabulary ───────────────────────────────────────────────────────

/** Kinds of delivery identifier a custom channel can use for senders, recipients and accounts. */
export const DELIVERY_IDENTIFIER_TYPES = ['HS_EMAIL_ADDRESS', 'HS_PHONE_NUMBER', 'CHANNEL_SPECIFIC_OPAQUE_ID', 'HS_SHORT_CODE']
export const THREADING_MODELS = ['INTEGRATION_THREAD_ID', 'DELIVERY_IDENTIFIER']
export const MESSAGE_DIRECTIONS = ['INCOMING', 'OUTGOING']
export const FILE_USAGE_TYPES = ['IMAGE', 'AUDIO', 'VOICE_RECORDING', 'STICKER', 'OTHER']
export const ATTACHMENT_TYPES = ['FILE', 'LOCATION', 'CONTACT', 'QUICK_REPLIES', 'UNSUPPORTED_CONTENT', 'MESSAGE_HEADER', 'SOCIAL_MEDIA_METADATA']
export const THREAD_STATUSES = ['OPEN', 'CLOSED']
export const MESSAGE_STATUS_TYPES = ['SENT', 'FAILED', 'READ']
export const SEARCH_OPERATORS = [
  'EQ', 'NEQ', 'LT', 'LTE', 'GT', 'GTE', 'BETWEEN', 'IN', 'NOT_IN',
  'HAS_PROPERTY', 'NOT_HAS_PROPERTY', 'CONTAINS_TOKEN', 'NOT_CONTAINS_TOKEN',
]

const deliveryIdentifier = object({ type: oneOf(...DELIVERY_IDENTIFIER_TYPES), value: nonEmpty }, ['type', 'value'])

/** A sender or recipient of a published message: who it is for HubSpot is its delivery identifier. */
const participant = object({ deliveryIdentifier, name: string, senderActorId: string }, ['deliveryIdentifier'])

/**
 * What a channel can do. The field list and value kinds come from the documented example and capability table;
 * `richText` and `allowedFileAttachmentMimeTypes` stay free strings (the full lists are not documented), and
 * attachment types beyond FILE are only a maybe (QUICK_REPLIES).
 */
const capabilities = (create: boolean): Schema =>
  object(
    {
      deliveryIdentifierTypes: list(oneOf(...DELIVERY_IDENTIFIER_TYPES), { minItems: 1 }),
      threadingModel: oneOf(...THREADING_MODELS),
      richText: list(string),
      allowInlineImages: boolean,
      allowOutgoingMessages: boolean,
      allowConversationStart: boolean,
      allowMultipleRecipients: boolean,
      outgoingAttachmentTypes: list(oneOf('FILE', 'QUICK_REPLIES')),
      allowedFileAttachmentMimeTypes: list(string),
      maxFileAttachmentCount: { type: 'integer', minimum: 0 },
      maxFileAttachmentSizeBytes: { type: 'integer', minimum: 0 },
      maxTotalFileAttachmentSizeBytes: { type: 'integer', minimum: 0 },
    },
    create ? ['deliveryIdentifierTypes'] : []
  )

/**
 * Create and update share the fields. Create needs a name and capabilities (`PublicChannelIntegrationChannelCreate`);
 * the update (`PublicChannelIntegrationChannelPatch`) requires every field: capabilities,
 * channelAccountConnectionRedirectUrl, channelDescription, channelLogoUrl, name and webhookUrl. Source: HubSpot's
 * generated client, HubSpot/hubspot-sdk-typescript src/resources/conversations/custom-channels/custom-channels.ts
 * (the PHP client's PublicChannelIntegrationChannelPatch agrees on capabilities, channelDescription, channelLogoUrl).
 */
export const CHANNEL_PATCH_REQUIRED = ['capabilities', 'channelAccountConnectionRedirectUrl', 'channelDescription', 'channelLogoUrl', 'name', 'webhookUrl']
const channelInput = (create: boolean): Schema =>
  object(
    {
      name: nonEmpty,
      webhookUrl: { type: 'string', format: 'uri' },
      channelDescription: string,
      channelLogoUrl: { type: 'string', format: 'uri' },
      channelAccountConnectionRedirectUrl: { type: 'string', format: 'uri' },
      capabilities: capabilities(create),
    },
    create ? ['name', 'capabilities'] : CHANNEL_PATCH_REQUIRED
  )

/** A FILE attachment names a Files API file; other attachment kinds are accepted as documented shapes we do not model. */
const attachment: Schema = {
  ...object({ type: oneOf(...ATTACHMENT_TYPES) }, ['type']),
  if: object({ type: { const: 'FILE' } }, ['type']),
  then: object({ fileId: nonEmpty, fileUsageType: oneOf(...FILE_USAGE_TYPES) }, ['fileId']),
}

const searchFilter = object(
  { propertyName: nonEmpty, operator: oneOf(...SEARCH_OPERATORS), value: string, values: list(string), highValue: string },
  ['propertyName', 'operator']
)

// ─── answers (only what the adapter relies on, plus the documented types of what the fake sends) ──────────

const channel = object({ id: anyId, name: string, createdAt: string, webhookUrl: string, capabilities: { type: ['object', 'string'] } }, [
  'id',
  'name',
  'capabilities',
  'createdAt',
])
const channelAccount = object(
  { id: anyId, channelId: anyId, inboxId: anyId, name: string, authorized: boolean, archived: boolean, active: boolean, deliveryIdentifier },
  ['id', 'channelId', 'inboxId']
)
const message = object(
  {
    id: string,
    conversationsThreadId: anyId,
    channelId: anyId,
    channelAccountId: anyId,
    direction: oneOf(...MESSAGE_DIRECTIONS),
    text: string,
    senders: list(object({ actorId: string, name: string })),
    recipients: list(object({ actorId: string, name: string })),
    attachments: list(attachment),
    createdAt: string,
  },
  ['id', 'conversationsThreadId']
)
const thread = object({ id: anyId, inboxId: anyId, status: oneOf(...THREAD_STATUSES), archived: boolean, assignedTo: string }, ['id', 'status'])
const inbox = object({ id: anyId, name: string, type: string, archived: boolean }, ['id'])
const contact = object({ id: anyId, properties: { type: 'object', additionalProperties: { type: ['string', 'null'] } }, archived: boolean }, ['id', 'properties'])
const page = (item: Schema) => object({ total: integer, results: list(item), paging: object({ next: object({ after: string }) }) }, ['results'])
const webhookSettings = object({ targetUrl: string, throttling: object({ maxConcurrentRequests: integer }) }, ['targetUrl'])
const subscription = object({ id: anyId, eventType: string, propertyName: string, active: boolean }, ['id', 'eventType', 'active'])

// ─── parameters ──────────────────────────────────────────────────────────────

const p = (name: string, type: ParamType = 'string'): PathParam => ({ name, type })
const q = (name: string, type: ParamType = 'string', extra: Partial<QueryParam> = {}): QueryParam => ({ name, type, ...extra })
/** Cursor paging shared by HubSpot's list endpoints. */
const paging = [q('after'), q('limit', 'integer'), q('sort', 'string', { repeatable: true })]

// ─── the operations ──────────────────────────────────────────────────────────

export const CONTRACT: Record<string, OperationContract> = {
  // OAuth 2026-03, the successor of v1 named by the migration guide
  // (https://developers.hubspot.com/docs/api-reference/legacy/authentication/oauth-tokens/v1/migration-guide):
  // form-encoded bodies only, never query parameters.
  'POST /oauth/2026-03/token': {
    about: 'exchange a refresh token (or an authorization code) for an access token; client credentials travel in the form',
    path: [],
    query: [],
    body: {
      contentType: 'application/x-www-form-urlencoded',
      required: true,
      schema: {
        ...object(
          {
            grant_type: oneOf('refresh_token', 'authorization_code', 'client_credentials'),
            client_id: nonEmpty,
            client_secret: nonEmpty,
            refresh_token: nonEmpty,
            code: nonEmpty,
            redirect_uri: string,
            code_verifier: string,
            scope: string,
            client_assertion: string,
            client_assertion_type: string,
          },
          ['grant_type', 'client_id', 'client_secret']
        ),
        allOf: [
          { if: object({ grant_type: { const: 'refresh_token' } }, ['grant_type']), then: { required: ['refresh_token'] } },
          { if: object({ grant_type: { const: 'authorization_code' } }, ['grant_type']), then: { required: ['code', 'redirect_uri'] } },
        ],
      },
    },
    // TokenResponse: access_token, token_type, expires_in, refresh_token required; no portal id.
    responses: { 200: object({ access_token: nonEmpty, refresh_token: string, expires_in: integer, token_type: string, id_token: string }, ['access_token', 'token_type', 'expires_in', 'refresh_token']) },
  },
  'POST /oauth/2026-03/token/introspect': {
    about: 'validity and metadata of an access or refresh token, hub_id (the portal) among them',
    path: [],
    query: [],
    body: {
      contentType: 'application/x-www-form-urlencoded',
      required: true,
      schema: object({ client_id: nonEmpty, client_secret: nonEmpty, token: nonEmpty, token_type_hint: oneOf('access_token', 'refresh_token') }, ['client_id', 'client_secret', 'token']),
    },
    responses: { 200: object({ active: boolean, hub_id: integer, app_id: integer, client_id: string, token_type: string, expires_in: integer }, ['active']) },
  },

  // custom channels: app level, developer API key (?hapikey&appId)
  'GET /conversations/v3/custom-channels': {
    about: "list the app's custom channels (every portal)",
    path: [],
    query: [...paging, q('defaultPageLength', 'integer')],
    responses: { 200: page(channel) },
  },
  'POST /conversations/v3/custom-channels': {
    about: 'create a custom channel',
    path: [],
    query: [],
    body: json(channelInput(true)),
    responses: { 201: channel },
  },
  'GET /conversations/v3/custom-channels/{channelId}': {
    about: 'one custom channel',
    path: [p('channelId', 'integer')],
    query: [],
    responses: { 200: channel },
  },
  'PATCH /conversations/v3/custom-channels/{channelId}': {
    about: 'update some fields of a custom channel (e.g. repoint webhookUrl)',
    path: [p('channelId', 'integer')],
    query: [],
    body: json(channelInput(false)),
    responses: { 200: channel },
  },
  'DELETE /conversations/v3/custom-channels/{channelId}': {
    about: 'archive a custom channel (204, no body)',
    path: [p('channelId', 'integer')],
    query: [],
  },

  // channel accounts: per portal, Bearer
  'GET /conversations/v3/custom-channels/{channelId}/channel-accounts': {
    about: "the channel's accounts (archived=true lists only archived ones)",
    path: [p('channelId', 'integer')],
    query: [...paging, q('defaultPageLength', 'integer'), q('archived', 'boolean'), q('deliveryIdentifierType'), q('deliveryIdentifierValue')],
    responses: { 200: page(channelAccount) },
  },
  'POST /conversations/v3/custom-channels/{channelId}/channel-accounts': {
    about: 'connect the channel to an inbox or help desk of the portal',
    path: [p('channelId', 'integer')],
    query: [],
    body: json(object({ name: nonEmpty, inboxId: nonEmpty, authorized: boolean, deliveryIdentifier }, ['name', 'inboxId', 'authorized'])),
    responses: { 201: channelAccount },
  },
  'GET /conversations/v3/custom-channels/{channelId}/channel-accounts/{channelAccountId}': {
    about: 'one channel account',
    path: [p('channelId', 'integer'), p('channelAccountId')],
    query: [q('archived', 'boolean')],
    responses: { 200: channelAccount },
  },
  'PATCH /conversations/v3/custom-channels/{channelId}/channel-accounts/{channelAccountId}': {
    about: 'rename or (de)authorize a channel account',
    path: [p('channelId', 'integer'), p('channelAccountId')],
    query: [],
    body: json(object({ name: nonEmpty, authorized: boolean })),
    responses: { 200: channelAccount },
  },

  // messages of the channel: Bearer
  'POST /conversations/v3/custom-channels/{channelId}/messages': {
    about: 'publish a message into the channel (end user → agent is INCOMING)',
    path: [p('channelId', 'integer')],
    query: [],
    body: json(
      object(
        {
          messageDirection: oneOf(...MESSAGE_DIRECTIONS),
          channelAccountId: nonEmpty,
          integrationThreadId: nonEmpty,
          integrationIdempotencyId: nonEmpty,
          inReplyToId: string,
          timestamp: { type: 'string', format: 'date-time' },
          text: string,
          richText: string,
          senders: list(participant, { minItems: 1 }),
          recipients: list(participant),
          attachments: list(attachment),
          associateWithContactId: integer,
          preResolvedContacts: object({ contacts: list(object({ contactVid: integer, contactPropertiesLeadingToMatch: list(string) }, ['contactVid'])) }),
        },
        // HubSpot does not enforce recipients, timestamp or attachments (published messages without them succeed).
        ['messageDirection', 'channelAccountId', 'text', 'senders']
      )
    ),
    responses: { 201: message },
  },
  'GET /conversations/v3/custom-channels/{channelId}/messages/{messageId}': {
    about: 'one message of the channel',
    path: [p('channelId', 'integer'), p('messageId')],
    query: [],
    responses: { 200: message },
  },
  'PATCH /conversations/v3/custom-channels/{channelId}/messages/{messageId}': {
    about: 'report the delivery of an agent (OUTGOING) message',
    path: [p('channelId', 'integer'), p('messageId')],
    query: [],
    body: json(object({ statusType: oneOf(...MESSAGE_STATUS_TYPES), errorMessage: string }, ['statusType'])),
    responses: { 200: message },
  },

  // conversations: Bearer
  'GET /conversations/v3/conversations/inboxes': {
    about: "the portal's inboxes; the help desk is the one of type HELP_DESK",
    path: [],
    query: [...paging, q('archived', 'boolean')],
    responses: { 200: page(inbox) },
  },
  'GET /conversations/v3/conversations/inboxes/{inboxId}': {
    about: 'one inbox',
    path: [p('inboxId')],
    query: [],
    responses: { 200: inbox },
  },
  'GET /conversations/v3/conversations/threads/{threadId}': {
    about: 'one thread (archived ones only with archived=true)',
    path: [p('threadId')],
    query: [q('archived', 'boolean'), q('association', 'string', { repeatable: true })],
    responses: { 200: thread },
  },
  'PATCH /conversations/v3/conversations/threads/{threadId}': {
    about: 'close or reopen a thread, or restore an archived one (archived: false with ?archived=true)',
    path: [p('threadId')],
    query: [q('archived', 'boolean')],
    body: json(object({ status: oneOf(...THREAD_STATUSES), archived: boolean })),
    responses: { 200: thread },
  },
  'GET /conversations/v3/conversations/actors/{actorId}': {
    about: 'who an actor id (A-…, V-…, I-…) is: name, e-mail, avatar',
    path: [p('actorId')],
    query: [],
    responses: {
      200: object({ id: nonEmpty, type: oneOf('AGENT', 'VISITOR', 'BOT', 'INTEGRATOR', 'EMAIL', 'SYSTEM', 'LLM'), name: string, email: string, avatar: string }, ['id', 'type']),
    },
  },

  // files: Bearer
  'POST /files/v3/files': {
    about: 'upload a file (multipart); `options` is a JSON string checked by the fake',
    path: [],
    query: [],
    body: {
      contentType: 'multipart/form-data',
      required: true,
      schema: {
        ...object({ file: {}, folderPath: string, folderId: string, options: string, fileName: string, charsetHunch: string }, ['file', 'options']),
        anyOf: [{ required: ['folderPath'] }, { required: ['folderId'] }],
      },
    },
    responses: { 201: object({ id: nonEmpty, name: string, extension: string, size: integer, access: string, url: string }, ['id']) },
  },
  'GET /files/v3/files/{fileId}/signed-url': {
    about: 'a temporary URL of a (private) file',
    path: [p('fileId')],
    query: [q('expirationSeconds', 'integer')],
    responses: { 200: object({ url: nonEmpty, expiresAt: string }, ['url']) },
  },

  // CRM contacts: Bearer
  'POST /crm/v3/objects/contacts/search': {
    about: 'find contacts: filters of a group are AND, groups are OR (at most 6)',
    path: [],
    query: [],
    body: json(
      object({
        filterGroups: list(object({ filters: list(searchFilter) }, ['filters']), { maxItems: 6 }),
        properties: list(string),
        limit: { type: 'integer', minimum: 1, maximum: 200 },
        after: { type: ['string', 'integer'] },
        sorts: list({ type: ['string', 'object'] }),
      })
    ),
    responses: { 200: page(contact) },
  },
  'POST /crm/v3/objects/contacts': {
    about: 'create a contact (409 CONFLICT when the e-mail exists)',
    path: [],
    query: [],
    body: json(object({ properties: { type: 'object', additionalProperties: string }, associations: list({ type: 'object' }) }, ['properties'])),
    responses: { 201: contact },
  },

  // app webhooks: developer API key
  'GET /webhooks/v3/{appId}/settings': {
    about: "the app's webhook target URL",
    path: [p('appId', 'integer')],
    query: [],
    responses: { 200: webhookSettings },
  },
  'PUT /webhooks/v3/{appId}/settings': {
    about: "set the app's webhook target URL and throttling",
    path: [p('appId', 'integer')],
    query: [],
    body: json(object({ targetUrl: { type: 'string', format: 'uri' }, throttling: object({ maxConcurrentRequests: { type: 'integer', minimum: 1 } }) }, ['targetUrl'])),
    responses: { 200: webhookSettings },
  },
  'GET /webhooks/v3/{appId}/subscriptions': {
    about: "the app's webhook subscriptions",
    path: [p('appId', 'integer')],
    query: [],
    responses: { 200: object({ results: list(subscription) }, ['results']) },
  },
  'POST /webhooks/v3/{appId}/subscriptions': {
    about: 'subscribe the app to an event type (active defaults to false)',
    path: [p('appId', 'integer')],
    query: [],
    body: json(object({ eventType: nonEmpty, propertyName: nonEmpty, active: boolean }, ['eventType'])),
    responses: { 201: subscription },
  },
  'PATCH /webhooks/v3/{appId}/subscriptions/{subscriptionId}': {
    about: 'switch a subscription on or off',
    path: [p('appId', 'integer'), p('subscriptionId')],
    query: [],
    body: json(object({ active: boolean }, ['active'])),
    responses: { 200: subscription },
  },
}
