/**
 * The providers the bench runs: one row each. A provider runs when its test double (`fake`, implementing
 * test/conformance/fake.ts's FakeProvider) exists and its adapter is available in src/providers; otherwise it is
 * skipped with a printed note. Adding a provider = adding a row (and, if the provider's API forces more sequential
 * requests than one per operation, saying so in `providerFloor`, with the reason).
 */

/** The operations of the round-trip and latency benches, in the order one session plays them. */
export const OPS = [
  'createUser',
  'startHitl',
  'user.text',
  'user.image',
  'user.audio',
  'user.video',
  'user.file',
  'user.bloc',
  'agent.assign',
  'agent.text',
  'agent.image',
  'agent.newAgent',
  'stopHitl',
  'agent.close',
] as const
export type Op = (typeof OPS)[number]

export type OpInfo = {
  label: string
  /**
   * The floor: round trips no implementation can avoid, sequentially (Botpress, then provider). Botpress floors
   * follow from the data each operation must read or write; provider floors default to one request per user → agent
   * message (per item for a bloc sent in order) and one per action, overridable per scenario.
   */
  floor: { botpress: number; provider: number }
  why: string
}

export const OP_INFO: Record<Op, OpInfo> = {
  createUser: {
    label: 'createUser',
    floor: { botpress: 1, provider: 1 },
    why: 'create the provider contact, then the Botpress user tagged with its id',
  },
  startHitl: {
    label: 'startHitl (4-message history)',
    floor: { botpress: 2, provider: 1 },
    why: "read the user (its contact id) and create the conversation in parallel, open the ticket, tag the conversation with the ticket id",
  },
  'user.text': { label: 'user→agent text', floor: { botpress: 0, provider: 1 }, why: 'one provider post' },
  'user.image': { label: 'user→agent image', floor: { botpress: 0, provider: 1 }, why: 'one provider post' },
  'user.audio': { label: 'user→agent audio', floor: { botpress: 0, provider: 1 }, why: 'one provider post' },
  'user.video': { label: 'user→agent video', floor: { botpress: 0, provider: 1 }, why: 'one provider post' },
  'user.file': { label: 'user→agent file', floor: { botpress: 0, provider: 1 }, why: 'one provider post' },
  'user.bloc': {
    label: 'user→agent bloc (3 items)',
    floor: { botpress: 0, provider: 3 },
    why: 'one post per item, in order (1 for a provider that takes a whole bloc)',
  },
  'agent.assign': {
    label: 'assignment webhook (agent first seen)',
    floor: { botpress: 3, provider: 0 },
    why: 'find the session, create the agent user (the claim in parallel, src/core/claim.ts), emit hitlAssigned with its id (tagging the conversation in parallel)',
  },
  'agent.text': {
    label: 'agent→user text webhook (agent known)',
    floor: { botpress: 2, provider: 0 },
    why: 'find the session, create the message',
  },
  'agent.image': {
    label: 'agent→user image webhook (agent known)',
    floor: { botpress: 2, provider: 0 },
    why: 'find the session, create the message (no extra trip per attachment)',
  },
  'agent.newAgent': {
    label: 'agent→user text webhook (agent first seen)',
    floor: { botpress: 3, provider: 0 },
    why: 'find the session, create the agent user, create the message',
  },
  stopHitl: {
    label: 'stopHitl',
    floor: { botpress: 2, provider: 1 },
    why: 'read the conversation (ticket id), close the ticket, mark the conversation closed',
  },
  'agent.close': {
    label: 'close webhook (hitlStopped)',
    floor: { botpress: 3, provider: 0 },
    why: 'find the session, claim the close (exactly once across instances: an atomic get-or-create, src/core/claim.ts), emit hitlStopped (tagging the conversation closed in parallel)',
  },
}

export type Scenario = {
  provider: string
  /** The provider's test double, relative to the project root. */
  fake: string
  /** Sequential provider requests the provider's API forces beyond the defaults of OP_INFO, with the reason. */
  providerFloor?: Partial<Record<Op, { provider: number; why: string }>>
  /** Whether the adapter takes a whole bloc in one request (then the bloc floor is 1). */
  acceptsBloc?: boolean
  /** Why startHitl's request count may grow with the history (printed with the transcript target). */
  transcriptNote?: string
  /** Why a webhook of the handler-time bench must ask the provider (printed with that target). */
  webhookRequestWhy?: string
  /**
   * A proof whose verification costs more than an HMAC, forced by the provider: the handler bench measures the
   * primitive alone on the same machine and prints its share with the handler-time target.
   */
  proof?: { algorithm: 'rsa-sha256'; why: string }
}

const upload = (why: string) =>
  Object.fromEntries((['user.image', 'user.audio', 'user.video', 'user.file'] as const).map((op) => [op, { provider: 3, why }])) as Scenario['providerFloor']

export const SCENARIOS: Scenario[] = [
  { provider: 'http', fake: 'test/providers/http/fake.ts' },
  {
    provider: 'intercom',
    fake: 'test/providers/intercom/fake.ts',
    providerFloor: {
      startHitl: { provider: 2, why: "Intercom's create-conversation takes no title: a second request sets it" },
      'agent.assign': { provider: 1, why: 'the assignment webhook names the admin by id only: one lookup for the name' },
      ...Object.fromEntries(
        (['user.audio', 'user.video', 'user.file'] as const).map((op) => [
          op,
          { provider: 2, why: "Intercom's attachment_urls takes images only (spec): other files go inline as attachment_files: download, reply" },
        ])
      ),
    },
  },
  {
    provider: 'livechat',
    fake: 'test/providers/livechat/fake.ts',
    providerFloor: {
      ...upload('a LiveChat file event must point to its CDN: download, upload_file, send_event'),
      'user.bloc': { provider: 5, why: 'text, then the image (download, upload_file, send_event), then text' },
      'agent.newAgent': { provider: 1, why: 'the webhook names the agent by id only: one lookup for the name' },
    },
    webhookRequestWhy:
      'an assignment (user_added_to_chat, chat_transferred) carries no time, so it is confirmed against the chat with get_chat before it is applied (a replayed one would reassign; src/providers/livechat/webhook.ts confirmAssignment)',
  },
  {
    provider: 'hubspot',
    fake: 'test/providers/hubspot/fake.ts',
    providerFloor: {
      ...upload('a HubSpot attachment is a Files API id: download, upload, post'),
      'user.bloc': { provider: 5, why: 'text, then the image (download, upload, post), then text' },
      'agent.assign': { provider: 1, why: 'the webhook names the actor by id only: one lookup for the name' },
      'agent.newAgent': { provider: 1, why: 'the webhook names the actor by id only: one lookup for the name' },
    },
  },
  {
    provider: 'chatwoot',
    fake: 'test/providers/chatwoot/fake.ts',
    providerFloor: {
      startHitl: { provider: 2, why: 'Chatwoot creates the conversation, then the transcript follows as a private note (an opening message would be the contact speaking, or an outgoing reply)' },
      ...Object.fromEntries(
        (['user.image', 'user.audio', 'user.video', 'user.file'] as const).map((op) => [op, { provider: 2, why: 'a Chatwoot attachment is the file itself: download, multipart post' }])
      ),
      'user.bloc': { provider: 4, why: 'text, then the image (download, multipart post), then text' },
    },
    transcriptNote: 'the adapter cuts notes and messages into 100,000-character parts (MAX_CONTENT in src/providers/chatwoot/render.ts); Chatwoot refuses more than 150,000',
  },  {
    provider: 'freshchat',
    fake: 'test/providers/freshchat/fake.ts',
    proof: {
      algorithm: 'rsa-sha256',
      why: 'Freshchat signs every webhook with RSA-SHA256 (X-Freshchat-Signature, PKCS#1 v1.5 checked with the public key of freshchat.webhookPublicKey: Freshworks, "Freshchat Webhooks Payload Structure and Authentication"); the account offers no HMAC option',
    },
    providerFloor: {
      createUser: { provider: 2, why: 'Freshchat has no upsert: GET /users?email= (the same e-mail reuses the user), then POST /users' },
      startHitl: { provider: 2, why: 'without freshchat.channelId the default topic is read (GET /channels) once per instance, then POST /conversations carries the transcript as private notes' },
      ...upload('a Freshchat message part takes an uploaded URL: download, /images/upload or /files/upload, post'),
      'user.bloc': { provider: 5, why: 'text, then the image (download, upload, post), then text' },
      'agent.assign': { provider: 1, why: 'the webhook names the agent by id only: GET /agents/{id} for the name and avatar' },
      'agent.newAgent': { provider: 1, why: 'the webhook names the agent by id only: GET /agents/{id} for the name and avatar' },
    },
    transcriptNote: 'the adapter cuts notes and messages into 10,000-character parts (MAX_CONTENT in src/providers/freshchat/render.ts); Freshchat documents no maximum',
  },
  {
    provider: 'zendesk',
    fake: 'test/providers/zendesk/fake.ts',
    providerFloor: {
      startHitl: {
        provider: 5,
        why: 'Sunco: create the conversation, take control (so the transcript does not wake the default responder), post the transcript, pass control to the agent workspace with its ticket fields (first_message_id), then be offered control back to receive the agents\' replies',
      },
      'agent.assign': { provider: 0, why: 'no assignment event: an agent\'s first reply is the signal (the fake sends it as a deleted-message placeholder)' },
    },
    transcriptNote: 'the adapter cuts the opening into 4,096-character messages (MAX_TEXT in src/providers/zendesk/render.ts): Sunco refuses longer text (textMessage.text maxLength)',
  },
]

export const floorOf = (scenario: Scenario, op: Op): { botpress: number; provider: number; total: number } => {
  const base = OP_INFO[op].floor
  let provider = scenario.providerFloor?.[op]?.provider ?? base.provider
  if (op === 'user.bloc' && scenario.acceptsBloc && !scenario.providerFloor?.[op]) provider = 1
  return { botpress: base.botpress, provider, total: base.botpress + provider }
}
