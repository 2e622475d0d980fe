/**
 * What Sunshine Conversations refuses, by operation, encoded by hand from its OpenAPI description: the spec is not
 * copied into the project (github.com/zendesk/sunshine-conversations-api-spec holds openapi.yaml with no licence
 * granting redistribution). Each rule cites `openapi.yaml` at version 17.12.1 (commit 81dc589): the operationId and
 * the schema under `components.schemas` it comes from. A rule returns the problems of one request (empty: accepted).
 */

type Json = Record<string, unknown>
const isObject = (v: unknown): v is Json => !!v && typeof v === 'object' && !Array.isArray(v)
const str = (v: unknown, min: number, max: number) => typeof v === 'string' && v.length >= min && v.length <= max
const uri = (v: unknown, max = 2048) => {
  if (typeof v !== 'string' || v.length > max) return false
  try {
    return !!new URL(v).protocol
  } catch {
    return false
  }
}

/** `components.schemas.metadata`: a flat object of strings, numbers and booleans, at most 4 KB. */
export const metadataProblems = (where: string, metadata: unknown): string[] => {
  if (metadata === undefined || metadata === null) return []
  if (!isObject(metadata)) return [`${where}: metadata must be an object`]
  const problems: string[] = []
  for (const [key, value] of Object.entries(metadata)) {
    if (!['string', 'number', 'boolean'].includes(typeof value)) problems.push(`${where}: metadata.${key} is not a string, number or boolean (flat object)`)
  }
  if (Buffer.byteLength(JSON.stringify(metadata), 'utf8') > 4096) problems.push(`${where}: metadata over 4KB`)
  return problems
}

/** `components.schemas.profile` (CreateUser / UpdateUser). */
const profileProblems = (where: string, profile: unknown): string[] => {
  if (profile === undefined) return []
  if (!isObject(profile)) return [`${where}: profile must be an object`]
  const problems: string[] = []
  for (const name of ['givenName', 'surname'] as const) if (profile[name] !== undefined && !str(profile[name], 1, 128)) problems.push(`${where}: profile.${name} must be 1-128 characters`)
  if (profile.email !== undefined && !(str(profile.email, 1, 128) && /^[^\s@]+@[^\s@]+$/.test(profile.email as string))) problems.push(`${where}: profile.email must be an e-mail of at most 128 characters`)
  if (profile.avatarUrl !== undefined && !uri(profile.avatarUrl)) problems.push(`${where}: profile.avatarUrl must be a URI of at most 2048 characters`)
  return problems
}

/** `components.schemas.userCreateBody`: externalId 1–1024 characters, profile, metadata. */
export const createUser = (body: Json): string[] => [
  ...(body.externalId !== undefined && !str(body.externalId, 1, 1024) ? ['CreateUser: externalId must be 1-1024 characters'] : []),
  ...profileProblems('CreateUser', body.profile),
  ...metadataProblems('CreateUser', body.metadata),
]

/** `components.schemas.userUpdateBody`. */
export const updateUser = (body: Json): string[] => [...profileProblems('UpdateUser', body.profile), ...metadataProblems('UpdateUser', body.metadata)]

/**
 * `components.schemas.conversationCreateBody`: `type` required (personal | sdkGroup); a personal conversation has
 * exactly one participant; each participant names `userId` or `userExternalId`, not both (`participantSubSchema`);
 * displayName and description 1–100 characters (`displayName`, `description`).
 */
export const createConversation = (body: Json): string[] => {
  const problems: string[] = []
  if (body.type !== 'personal' && body.type !== 'sdkGroup') problems.push('CreateConversation: type must be personal or sdkGroup')
  const participants = body.participants
  if (body.type === 'personal' && !(Array.isArray(participants) && participants.length === 1)) problems.push('CreateConversation: a personal conversation needs exactly 1 participant')
  for (const p of Array.isArray(participants) ? participants : []) {
    if (!isObject(p) || (p.userId === undefined) === (p.userExternalId === undefined)) problems.push('CreateConversation: a participant names userId or userExternalId (one of them)')
  }
  for (const name of ['displayName', 'description'] as const) if (body[name] !== undefined && !str(body[name], 1, 100)) problems.push(`CreateConversation: ${name} must be 1-100 characters`)
  return [...problems, ...metadataProblems('CreateConversation', body.metadata)]
}

/**
 * `components.schemas.messagePost`: `author` and `content` required. `author.type` business | user; `userId` only for
 * a user author (`author.userId`), who must be named by `userId` or `userExternalId`; `avatarUrl` a URI.
 * `content` by `type` (`components.schemas.content` discriminator): text needs `text` (at most 4096) unless actions,
 * htmlText or markdownText (`textMessage`); image and file need `mediaUrl` (a URI), `altText` at most 128
 * (`imageMessage`, `fileMessage`).
 */
export const postMessage = (body: Json): string[] => {
  const problems: string[] = []
  const author = body.author
  if (!isObject(author)) problems.push('PostMessage: author is required')
  else {
    if (author.type !== 'business' && author.type !== 'user') problems.push('PostMessage: author.type must be business or user')
    if (author.type === 'business' && (author.userId !== undefined || author.userExternalId !== undefined)) problems.push('PostMessage: author.userId is only supported for user authors')
    if (author.type === 'user' && author.userId === undefined && author.userExternalId === undefined) problems.push('PostMessage: a user author needs userId or userExternalId')
    if (author.avatarUrl !== undefined && !uri(author.avatarUrl)) problems.push('PostMessage: author.avatarUrl must be a URI')
  }
  const content = body.content
  if (!isObject(content)) problems.push('PostMessage: content is required')
  else if (content.type === 'text') {
    if (content.text === undefined && content.actions === undefined && content.htmlText === undefined && content.markdownText === undefined) problems.push('PostMessage: a text message needs text')
    if (content.text !== undefined && !str(content.text, 0, 4096)) problems.push('PostMessage: content.text is at most 4096 characters')
  } else if (content.type === 'image' || content.type === 'file') {
    if (!uri(content.mediaUrl, 100_000)) problems.push(`PostMessage: an ${content.type} message needs a mediaUrl URI`)
    if (content.altText !== undefined && !str(content.altText, 0, 128)) problems.push('PostMessage: content.altText is at most 128 characters')
  } else if (!['carousel', 'form', 'formResponse', 'list', 'location', 'template'].includes(String(content.type))) {
    problems.push(`PostMessage: unknown content type ${String(content.type)}`)
  }
  return [...problems, ...metadataProblems('PostMessage', body.metadata)]
}

/** `components.schemas.passControlBody` / `offerControlBody`: `switchboardIntegration` required; metadata. */
export const passControl = (operation: 'PassControl' | 'OfferControl', body: Json): string[] => [
  ...(typeof body.switchboardIntegration === 'string' && body.switchboardIntegration ? [] : [`${operation}: switchboardIntegration is required`]),
  ...metadataProblems(operation, body.metadata),
]

/** `components.schemas.releaseControlBody`: optional metadata. */
export const releaseControl = (body: Json): string[] => metadataProblems('ReleaseControl', body.metadata)

/** `components.schemas.webhook` / `webhookCreateBody`: `target` and `triggers` (an array of strings) required. */
export const webhookProblems = (operation: string, hook: unknown, create: boolean): string[] => {
  if (!isObject(hook)) return [`${operation}: the webhook must be an object`]
  const problems: string[] = []
  if ((create || hook.target !== undefined) && typeof hook.target !== 'string') problems.push(`${operation}: target is required`)
  if ((create || hook.triggers !== undefined) && !(Array.isArray(hook.triggers) && hook.triggers.every((t) => typeof t === 'string'))) problems.push(`${operation}: triggers (strings) are required`)
  return problems
}

/**
 * CreateIntegration, `components.schemas.integration` + `custom`: `type` required; a custom integration has exactly
 * one webhook (`custom.webhooks` minItems 1, maxItems 1); displayName at most 100.
 */
export const createIntegration = (body: Json): string[] => {
  const problems: string[] = []
  if (typeof body.type !== 'string') problems.push('CreateIntegration: type is required')
  if (body.displayName !== undefined && body.displayName !== null && !str(body.displayName, 0, 100)) problems.push('CreateIntegration: displayName is at most 100 characters')
  if (body.type === 'custom') {
    if (!(Array.isArray(body.webhooks) && body.webhooks.length === 1)) problems.push('CreateIntegration: a custom integration has exactly 1 webhook')
    else problems.push(...webhookProblems('CreateIntegration', body.webhooks[0], true))
  }
  return problems
}

/**
 * CreateSwitchboardIntegration, `components.schemas.switchboardIntegrationCreateBody`: `name` required (alphanumerics,
 * `-` and `_`, at most 128: `components.schemas.name`); one of `integrationId` or `integrationType`.
 */
export const createSwitchboardIntegration = (body: Json): string[] => {
  const problems: string[] = []
  if (!(typeof body.name === 'string' && /^[A-Za-z0-9_-]{1,128}$/.test(body.name))) problems.push('CreateSwitchboardIntegration: name must be 1-128 alphanumerics, - or _')
  if (body.integrationId === undefined && body.integrationType === undefined) problems.push('CreateSwitchboardIntegration: one of integrationId or integrationType is required')
  if (body.deliverStandbyEvents !== undefined && typeof body.deliverStandbyEvents !== 'boolean') problems.push('CreateSwitchboardIntegration: deliverStandbyEvents is a boolean')
  return problems
}
