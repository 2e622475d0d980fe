import { RuntimeError } from '@botpress/sdk'

/** A webhook request that is not what the provider should send: answered 400 with the reason. */
export class BadRequestError extends Error {
  constructor(readonly reason: string) {
    super(reason)
    this.name = 'BadRequestError'
  }
}

/**
 * A condition that will pass (a provider 503/429/timeout while resolving something a webhook needs, a session still
 * being opened): the webhook is answered 503 so the provider delivers it again. Only permanent failures (404, 403, too
 * large) may degrade what the event carries to a placeholder.
 */
export class RetryLaterError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'RetryLaterError'
  }
}

/** The provider refused or failed an operation. Shown to the bot builder as is: never carries a secret. */
export class ProviderError extends RuntimeError {
  constructor(
    message: string,
    readonly details: { provider: string; status?: number; code?: string; operation?: string; attempts?: number } = {
      provider: 'provider',
    }
  ) {
    super(message)
    this.name = 'ProviderError'
  }
}

/** The configuration is incomplete or wrong: register fails with this message. */
export class ConfigurationError extends RuntimeError {
  constructor(message: string) {
    super(message)
    this.name = 'ConfigurationError'
  }
}

/** Something the bot asked for cannot be done (unknown user, session of another provider, …). */
export class HitlError extends RuntimeError {
  constructor(message: string) {
    super(message)
    this.name = 'HitlError'
  }
}

export const errorMessage = (thrown: unknown): string => (thrown instanceof Error ? thrown.message : String(thrown))
