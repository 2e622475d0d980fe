/**
 * Registration (`connect` on register, `disconnect` on unregister). Nothing is created on the desk: its owner tells
 * it our webhook URL. Register refuses a configuration that would accept forged webhooks by default, checks the desk
 * answers, and says which authentication mode is active.
 */
import { ConfigurationError } from '../../core/errors'
import type { Logger } from '../../core/log'
import type { HttpApi } from './api'
import { webhookModeOf, type HttpConfig } from './config'

export const connect = async (config: HttpConfig, api: HttpApi, logger: Logger): Promise<void> => {
  const mode = webhookModeOf(config)
  if (mode === 'refused') {
    throw new ConfigurationError(
      'The HTTP service configuration ("http") has no way to authenticate webhooks: set http.webhookSecret (recommended), ' +
        'or turn on http.allowUnsignedWebhooks to accept unsigned webhooks from a desk built for the original protocol (insecure)'
    )
  }
  await api.ping()
  if (mode === 'signed') {
    logger.info(
      `http provider: webhooks must be signed with http.webhookSecret (x-hitl-signature)${config.allowUnsignedWebhooks ? '; http.allowUnsignedWebhooks is ignored while a secret is set' : ''}`
    )
  } else {
    logger.warn('http provider: accepting UNSIGNED webhooks (http.allowUnsignedWebhooks is on): anyone who knows the webhook URL can act as an agent; set http.webhookSecret')
  }
}

export const disconnect = async (): Promise<void> => {
  // Nothing was registered on the service: it is told our webhook URL by its owner.
}
