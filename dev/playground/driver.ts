/**
 * The emulator's driver, with the webhook URL the integration registers at the provider optionally replaced by a
 * public one (a tunnel to the Botpress emulator): a real provider cannot post to 127.0.0.1.
 */
import { IntegrationDriver, type DriverOptions } from '../emulator'

export class PublicDriver extends IntegrationDriver {
  private readonly publicBase?: string

  /** `publicBaseUrl`: e.g. https://abc.trycloudflare.com, forwarding to the emulator's port. */
  constructor(opts: DriverOptions, publicBaseUrl?: string) {
    super(opts)
    if (publicBaseUrl !== undefined) {
      let url: URL
      try {
        url = new URL(publicBaseUrl)
      } catch {
        throw new Error(`--public-url "${publicBaseUrl}" is not a URL: give the https address of a tunnel to the Botpress emulator`)
      }
      if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`--public-url must be an http(s) address (got ${url.protocol})`)
      this.publicBase = url.href.replace(/\/+$/, '')
    }
  }

  override get webhookUrl() {
    return this.publicBase ? `${this.publicBase}/webhook/${this.webhookId}` : super.webhookUrl
  }
}
