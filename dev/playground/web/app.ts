/**
 * The playground page: plain DOM, no framework. One EventSource (/api/events) delivers a snapshot then deltas; every
 * action is a JSON POST whose error sentence is shown next to the control that caused it. Text from the network is
 * only ever set with textContent; only http(s) URLs become links or images.
 */
import type { ChatItem, SessionState, Snapshot, StripItem, TicketMessageView, TicketView } from '../types'
import { agentNameProblem, attachmentUrlProblem, escalationProblem, textProblem } from '../validate'

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.getElementById(id)
  if (!el) throw new Error(`playground page: #${id} is missing`)
  return el as T
}
const h = <K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<Record<string, string>> = {}, ...children: Array<Node | string>) => {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(props)) if (v !== undefined) el.setAttribute(k, v)
  el.append(...children)
  return el
}
const isHttp = (url: string | undefined): url is string => !!url && /^https?:\/\//i.test(url)
const clock = (iso: string) => {
  const d = new Date(iso)
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' })
}
const timeEl = (iso: string) => h('time', { datetime: iso }, clock(iso))

// ── state ────────────────────────────────────────────────────────────────────
let session: SessionState = { session: null, escalating: false }
const tickets = new Map<string, TicketView>()
let selected: string | undefined
const shownTicketMessages = new Set<string>()
const shownChat = new Set<string>()
const counts = { requests: 0, invalid: 0, messages: 0, events: 0 }

// ── plumbing ─────────────────────────────────────────────────────────────────
async function post(path: string, body: object = {}): Promise<any> {
  let res: Response
  try {
    res = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  } catch {
    throw new Error('The playground server cannot be reached: is “npm start” still running?')
  }
  const data = await res.json().catch(() => ({}))
  if (!res.ok) throw new Error(typeof data.error === 'string' ? data.error : `The playground server answered HTTP ${res.status}.`)
  return data
}

const showError = (el: HTMLElement, message: string) => {
  el.textContent = message
  el.hidden = false
}
const clearError = (el: HTMLElement) => {
  el.textContent = ''
  el.hidden = true
}

/**
 * Runs one action for a control: ignores a second activation while the first is in flight (double clicks), shows the
 * server's sentence on failure, and always gives the control back.
 */
async function act(button: HTMLButtonElement, errorEl: HTMLElement, fn: () => Promise<void>) {
  if (button.dataset.busy) return
  button.dataset.busy = '1'
  button.disabled = true
  button.setAttribute('aria-busy', 'true')
  try {
    await fn()
    clearError(errorEl)
  } catch (error) {
    showError(errorEl, (error as Error).message)
  } finally {
    delete button.dataset.busy
    button.removeAttribute('aria-busy')
    refreshControls()
  }
}

/** A client-side check: when it fails the sentence is shown and nothing is sent. */
const check = (errorEl: HTMLElement, problem: string | undefined, focus?: HTMLElement) => {
  if (!problem) return true
  showError(errorEl, problem)
  focus?.focus()
  return false
}

const scrollToEnd = (el: HTMLElement) => {
  el.scrollTop = el.scrollHeight
}

// ── rendering ────────────────────────────────────────────────────────────────
function content(item: { type: string; text?: string; url?: string; title?: string }): Node {
  if (item.type === 'image' && isHttp(item.url)) {
    const link = h('a', { href: item.url, target: '_blank', rel: 'noopener noreferrer' }, h('img', { src: item.url, alt: item.title || 'image', loading: 'lazy' }))
    return h('figure', { class: 'media' }, link)
  }
  if (isHttp(item.url)) {
    return h('p', {}, `📎 `, h('a', { href: item.url, target: '_blank', rel: 'noopener noreferrer' }, item.title || item.url))
  }
  return h('p', {}, item.text ?? '')
}

function chatNode(item: ChatItem) {
  const li = h('li', { class: `msg msg-${item.from}${item.tone ? ` tone-${item.tone}` : ''}`, 'data-id': item.id, 'data-from': item.from })
  if (item.from !== 'notice') li.append(h('span', { class: 'who' }, item.from === 'user' ? `You (${item.author ?? 'user'})` : (item.author ?? item.from), timeEl(item.at)))
  li.append(content(item))
  return li
}

function addChat(item: ChatItem) {
  if (shownChat.has(item.id)) return
  shownChat.add(item.id)
  const list = $('chat')
  list.append(chatNode(item))
  scrollToEnd(list)
}

function applySession(state: SessionState) {
  session = state
  const line = $('session-line')
  const s = state.session
  if (state.escalating) line.textContent = 'Connecting you to an agent…'
  else if (s?.status === 'open') line.textContent = s.agent ? `Talking to ${s.agent} · “${s.title}”` : `Waiting for an agent · “${s.title}”`
  else if (s?.status === 'closed') line.textContent = 'Session ended · chatting with the echo bot'
  else line.textContent = 'Chatting with the echo bot'
  refreshControls()
}

function refreshControls() {
  const escalate = $<HTMLButtonElement>('escalate-button')
  escalate.disabled = !!escalate.dataset.busy || session.escalating
  const end = $<HTMLButtonElement>('end-button')
  end.disabled = !!end.dataset.busy || session.session?.status !== 'open'
  for (const id of ['assign-button', 'transfer-button', 'close-button', 'agent-send', 'agent-attach-send', 'user-send', 'user-attach-send']) {
    const b = $<HTMLButtonElement>(id)
    b.disabled = !!b.dataset.busy
  }
}

function ticketMessageNode(m: TicketMessageView) {
  const li = h('li', { class: `msg msg-${m.from === 'agent' ? 'agent' : m.from === 'user' ? 'user' : 'system'}`, 'data-id': m.id, 'data-from': m.from })
  li.append(h('span', { class: 'who' }, m.author ?? m.from, timeEl(m.at)), content(m))
  if (m.delivered === false) li.append(h('span', { class: 'undelivered' }, 'not delivered: the integration refused the webhook'))
  return li
}

function renderTicketList() {
  const list = $('ticket-list')
  list.replaceChildren()
  const all = [...tickets.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt))
  $('no-tickets').hidden = all.length > 0
  for (const t of all) {
    const label = [t.id, t.title ?? '(no title)'].join(' · ')
    const who = t.assignedTo ? ` · ${t.assignedTo.name}` : ''
    const button = h(
      'button',
      { type: 'button', class: 'ticket', 'data-ticket': t.id, 'aria-current': String(t.id === selected) },
      h('span', { class: 'title' }, label + who),
      h('span', { class: `status ${t.status}` }, t.status === 'open' ? 'open' : 'closed')
    )
    button.addEventListener('click', () => select(t.id))
    list.append(h('li', {}, button))
  }
}

function renderTicketDetail(fresh: boolean) {
  const detail = $('ticket-detail')
  const t = selected ? tickets.get(selected) : undefined
  detail.hidden = !t
  if (!t) return
  $('ticket-heading').textContent = `${t.id} · ${t.title ?? '(no title)'}`
  const closed = t.status === 'closed' ? `closed${t.closedBy === 'integration' ? ' by the end user' : t.closedBy === 'agent' ? ' by the agent' : ''}` : 'open'
  $('ticket-meta').textContent = `Status: ${closed} · ${t.assignedTo ? `assigned to ${t.assignedTo.name}` : 'unassigned'}`
  const description = $('ticket-description')
  description.textContent = t.description ?? ''
  description.hidden = !t.description
  const messages = $('ticket-messages')
  if (fresh) {
    const transcript = $('ticket-transcript')
    transcript.replaceChildren(...t.transcript.map((line) => h('li', {}, line.author ? `${line.author}: ${line.text}` : line.text)))
    if (!t.transcript.length) transcript.append(h('li', {}, '(no history)'))
    messages.replaceChildren()
    shownTicketMessages.clear()
    clearError($('agent-error'))
  }
  for (const m of t.messages) {
    const key = `${t.id}/${m.id}`
    if (shownTicketMessages.has(key)) continue
    shownTicketMessages.add(key)
    messages.append(ticketMessageNode(m))
  }
  scrollToEnd($('ticket-messages').parentElement!)
}

function select(id: string) {
  const changed = id !== selected
  selected = id
  renderTicketList()
  renderTicketDetail(changed)
}

function upsertTicket(t: TicketView) {
  const isNew = !tickets.has(t.id)
  tickets.set(t.id, t)
  // A new open ticket is selected when nothing (or a closed ticket) is on screen.
  const current = selected ? tickets.get(selected) : undefined
  if (isNew && t.status === 'open' && (!current || current.status === 'closed')) return select(t.id)
  renderTicketList()
  if (t.id === selected) renderTicketDetail(false)
}

function addStrip(item: StripItem) {
  const list = $('strip')
  const nearEnd = list.scrollHeight - list.scrollTop - list.clientHeight < 40
  const verdict =
    item.kind === 'request'
      ? h('span', { class: `verdict ${item.valid ? 'valid' : 'invalid'}`, title: item.valid ? 'valid against the runtime OpenAPI' : 'rejected by the runtime OpenAPI' }, item.valid ? '✓ spec' : '✗ spec')
      : h('span', { class: 'verdict' }, '')
  const summary = h('span', { class: 'summary' }, item.summary)
  if (item.errors?.length) summary.append(h('span', { class: 'errors' }, item.errors.join('; ')))
  list.append(h('li', { 'data-kind': item.kind, 'data-valid': String(item.valid ?? '') }, timeEl(item.at), h('span', { class: `kind kind-${item.kind}` }, item.kind), verdict, summary))
  if (item.kind === 'request') {
    counts.requests++
    if (!item.valid) counts.invalid++
  } else if (item.kind === 'message') counts.messages++
  else counts.events++
  const spec = counts.invalid ? `${counts.invalid} rejected by the runtime spec` : 'all valid against the runtime spec'
  const n = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`
  $('strip-summary').textContent = `${n(counts.requests, 'API request')} (${spec}) · ${n(counts.messages, 'message')} · ${n(counts.events, 'event')}`
  if (nearEnd) scrollToEnd(list)
}

function applySnapshot(s: Snapshot) {
  const local = s.mode === 'local'
  $('provider-badge').textContent = local ? 'provider: http · local agent desk' : `provider: ${s.provider}`
  $('desk').hidden = !local
  const note = $('provider-note')
  note.hidden = local
  if (!local) {
    const loopback = /\/\/(127\.|localhost|\[::1\])/.test(s.webhookUrl)
    note.replaceChildren(
      h('p', {}, h('strong', {}, `Answer in ${s.providerTitle}.`), ` Sessions escalated here open a conversation there; the agent replies, assigns and closes in ${s.providerTitle}'s own interface, and it all comes back here through the webhook.`),
      h('p', {}, 'Webhook URL registered with the provider: ', h('code', {}, s.webhookUrl)),
      ...(loopback
        ? [
            h(
              'p',
              {},
              s.provider === 'http'
                ? 'This address is only reachable from this machine: fine if your agent service runs here. Otherwise expose the Botpress emulator with a tunnel and restart with --public-url <https address> (see README “Playground”).'
                : '⚠ This address is only reachable from this machine, so agent replies cannot arrive. Expose the Botpress emulator with a tunnel and restart with --public-url <https address> (see README “Playground”).'
            ),
          ]
        : [])
    )
    $('desk-line').textContent = `Provider: ${s.providerTitle}`
  }

  shownChat.clear()
  $('chat').replaceChildren()
  s.chat.forEach(addChat)
  applySession(s.state)

  tickets.clear()
  s.tickets.forEach((t) => tickets.set(t.id, t))
  if (!selected || !tickets.has(selected)) selected = [...tickets.values()].reverse().find((t) => t.status === 'open')?.id ?? [...tickets.keys()].pop()
  renderTicketList()
  renderTicketDetail(true)

  Object.assign(counts, { requests: 0, invalid: 0, messages: 0, events: 0 })
  $('strip').replaceChildren()
  $('strip-summary').textContent = 'Nothing yet'
  s.strip.forEach(addStrip)
}


// ── live updates ─────────────────────────────────────────────────────────────
function connect() {
  const status = $('connection')
  const source = new EventSource('/api/events')
  const on = <T>(event: string, fn: (data: T) => void) => source.addEventListener(event, (e) => fn(JSON.parse((e as MessageEvent).data)))
  on<Snapshot>('snapshot', (s) => {
    applySnapshot(s)
    status.textContent = 'Live'
    status.classList.remove('bad')
    document.body.dataset.ready = 'true'
  })
  on<ChatItem>('chat', addChat)
  on<SessionState>('session', applySession)
  on<TicketView>('ticket', upsertTicket)
  on<StripItem>('strip', addStrip)
  source.addEventListener('error', () => {
    status.textContent = 'Connection lost: reconnecting… (is “npm start” still running?)'
    status.classList.add('bad')
  })
}

// ── controls ─────────────────────────────────────────────────────────────────
function wire() {
  const userError = $('user-error')
  const agentError = $('agent-error')

  const userText = $<HTMLInputElement>('user-text')
  $<HTMLFormElement>('user-form').addEventListener('submit', (e) => {
    e.preventDefault()
    if (!check(userError, textProblem(userText.value), userText)) return
    void act($<HTMLButtonElement>('user-send'), userError, async () => {
      await post('/api/user/message', { type: 'text', text: userText.value })
      userText.value = ''
    })
  })

  const userUrl = $<HTMLInputElement>('user-attach-url')
  $<HTMLFormElement>('user-attach-form').addEventListener('submit', (e) => {
    e.preventDefault()
    if (!check(userError, attachmentUrlProblem(userUrl.value), userUrl)) return
    void act($<HTMLButtonElement>('user-attach-send'), userError, async () => {
      await post('/api/user/message', { type: $<HTMLSelectElement>('user-attach-type').value, url: userUrl.value.trim() })
      userUrl.value = ''
    })
  })

  const title = $<HTMLInputElement>('escalate-title')
  const description = $<HTMLInputElement>('escalate-description')
  const escalateForm = $<HTMLFormElement>('escalate-form')
  escalateForm.addEventListener('submit', (e) => {
    e.preventDefault()
    const button = $<HTMLButtonElement>('escalate-button')
    if (button.dataset.busy || session.escalating) return showError(userError, 'The escalation is already in progress: please wait.')
    if (!check(userError, escalationProblem(title.value, description.value), title)) return
    void act(button, userError, async () => {
      await post('/api/user/escalate', { title: title.value, description: description.value })
      title.value = ''
      description.value = ''
      userText.focus()
    })
  })
  $<HTMLButtonElement>('end-button').addEventListener('click', (e) => {
    void act(e.currentTarget as HTMLButtonElement, userError, () => post('/api/user/end'))
  })

  // agent side
  const agentName = $<HTMLInputElement>('agent-name')
  const ticketAction = (path: string, body: object = {}) => {
    if (!selected) throw new Error('Select a ticket first.')
    return post(`/api/desk/tickets/${encodeURIComponent(selected)}/${path}`, body)
  }
  $<HTMLButtonElement>('assign-button').addEventListener('click', (e) => {
    if (!check(agentError, agentNameProblem(agentName.value), agentName)) return
    void act(e.currentTarget as HTMLButtonElement, agentError, () => ticketAction('assign', { agent: agentName.value }))
  })
  const transferTo = $<HTMLInputElement>('transfer-to')
  $<HTMLButtonElement>('transfer-button').addEventListener('click', (e) => {
    if (!check(agentError, agentNameProblem(transferTo.value) && 'Name the agent to transfer the ticket to.', transferTo)) return
    void act(e.currentTarget as HTMLButtonElement, agentError, async () => {
      await ticketAction('transfer', { agent: transferTo.value })
      // The new owner is now the one at the keyboard.
      agentName.value = transferTo.value.trim()
      transferTo.value = ''
    })
  })
  $<HTMLButtonElement>('close-button').addEventListener('click', (e) => {
    void act(e.currentTarget as HTMLButtonElement, agentError, () => ticketAction('close'))
  })
  const agentText = $<HTMLInputElement>('agent-text')
  $<HTMLFormElement>('agent-form').addEventListener('submit', (e) => {
    e.preventDefault()
    if (!check(agentError, agentNameProblem(agentName.value), agentName)) return
    if (!check(agentError, textProblem(agentText.value), agentText)) return
    void act($<HTMLButtonElement>('agent-send'), agentError, async () => {
      await ticketAction('reply', { agent: agentName.value, type: 'text', text: agentText.value })
      agentText.value = ''
    })
  })
  const agentUrl = $<HTMLInputElement>('agent-attach-url')
  $<HTMLFormElement>('agent-attach-form').addEventListener('submit', (e) => {
    e.preventDefault()
    if (!check(agentError, agentNameProblem(agentName.value), agentName)) return
    if (!check(agentError, attachmentUrlProblem(agentUrl.value), agentUrl)) return
    void act($<HTMLButtonElement>('agent-attach-send'), agentError, async () => {
      await ticketAction('reply', { agent: agentName.value, type: $<HTMLSelectElement>('agent-attach-type').value, url: agentUrl.value.trim() })
      agentUrl.value = ''
    })
  })

  // Typing again dismisses a stale error.
  for (const [input, el] of [
    [userText, userError],
    [userUrl, userError],
    [title, userError],
    [description, userError],
    [agentText, agentError],
    [agentUrl, agentError],
  ] as const) {
    input.addEventListener('input', () => clearError(el))
  }
}

wire()
connect()
