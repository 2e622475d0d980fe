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

describe('cutting long lines', () => {
  it('never leaves the readable part of an e-mail address cut before its domain', () => {
    for (let shift = 0; shift < 30; shift++) {
      const line = `${'x '.repeat(3_990)}${' '.repeat(shift)}contact jane.doe@example.com please ${'y'.repeat(200)}`
      const out = new Redactor([]).redact(line)
      expect(out).not.toContain('jane')
      expect(out).not.toMatch(/doe@|@exa/)
    }
  })

  it('never cuts inside a surrogate pair', () => {
    for (const pad of [0, 1]) {
      const out = new Redactor([]).redact('a'.repeat(pad) + '😀'.repeat(5_000))
      expect(out.split('…')[0]).not.toMatch(/[\uD800-\uDBFF]$/)
    }
  })
})

describe('phone numbers', () => {
  it.each([
    ['customer +1 (514) 555-0100 called', 'customer [phone] called'],
    ['tel +33 6 12 34 56 78.', 'tel [phone].'],
    ['+4915112345678', '[phone]'],
  ])('masks %j', (line, expected) => {
    expect(new Redactor([]).redact(line)).toBe(expected)
  })

  it.each(['retry +1 in 3 s', 'at 2026-11-30T22:49:24.123+00:00', 'took +250 ms', 'id 15145550100'])('leaves %j alone', (line) => {
    expect(new Redactor([]).redact(line)).toBe(line)
  })
})
