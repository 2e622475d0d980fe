/**
 * The local tools serve media themselves (the playground's /samples/receipt.svg) on loopback, which the integration's
 * media fetcher refuses unless the host is named in HITL_MEDIA_ALLOW_HOSTS (src/core/media.ts). The integration runs in
 * the same process as `npm start` and the playground, so each local server adds exactly its own `host:port` while it
 * listens and removes it when it closes; nothing else private becomes reachable.
 */
const ENV = 'HITL_MEDIA_ALLOW_HOSTS'

const entries = () =>
  (process.env[ENV] ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)

/** Adds `hostPort` (e.g. `127.0.0.1:3210`) to the allow list; the returned function takes it out again. */
export const allowMediaHost = (hostPort: string): (() => void) => {
  const present = entries().includes(hostPort)
  if (!present) process.env[ENV] = [...entries(), hostPort].join(',')
  return () => {
    if (present) return
    const rest = entries().filter((e) => e !== hostPort)
    if (rest.length) process.env[ENV] = rest.join(',')
    else delete process.env[ENV]
  }
}
