import { createLogger, Redactor } from '../../src/core/log'

describe('redaction', () => {
  it('hides configured secrets, e-mails, credential query parameters and bearer tokens', () => {
    const r = new Redactor(['tok_123456', undefined, 'ab'])
    expect(r.redact('token tok_123456 for Jane.Doe@example.com')).toBe('token [redacted] for [email]')
    expect(r.redact('GET https://x.test/a?hapikey=abc&x=1')).toBe('GET https://x.test/a?hapikey=[redacted]&x=1')
    expect(r.redact('Authorization: Bearer eyJhbGciOi.x.y')).toBe('Authorization: Bearer [redacted]')
    // Too-short values are not treated as secrets (they would mangle every line).
    expect(r.redact('about')).toBe('about')
  })

  it('logger lines go through the redactor', () => {
    const lines: string[] = []
    const sink = { debug: (m: string) => lines.push(m), info: (m: string) => lines.push(m), warn: (m: string) => lines.push(m), error: (m: string) => lines.push(m) }
    const logger = createLogger(sink, new Redactor(['s3cr3t-value']))
    logger.error('failed with s3cr3t-value')
    expect(lines).toEqual(['failed with [redacted]'])
  })
})

describe('redaction cost', () => {
  it('stays linear on long text without an @ (was quadratic)', () => {
    const started = Date.now()
    const out = new Redactor(['secret-value']).redact('secret-value ' + 'a'.repeat(100_000) + ' secret-value')
    expect(Date.now() - started).toBeLessThan(200)
    expect(out.length).toBeLessThan(8_100)
    expect(out).not.toContain('secret-value')
  })
})
